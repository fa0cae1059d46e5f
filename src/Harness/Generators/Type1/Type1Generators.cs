using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;

namespace Verify.Harness.Generators.Type1;

/// <summary>
/// Type1 scenarios aimed at the edges of SEMANTICS.md 5.1-5.3: a MAP that overlaps an earlier one by one
/// page at either end or touches it, an UNMAP that bisects at either end or covers holes, wraps at 2^64,
/// the last page of the space, the entry limit, an RLIMIT_MEMLOCK reached exactly, a vaddr in a hole, in a
/// BAR (reserved pfns) or aliasing RAM mapped elsewhere, invalid flags and alignment. The process is fixed
/// and small (about 6 MiB backed) so the page-by-page oracle stays fast.
/// </summary>
public static class Type1Generators
{
    /// <summary>Host virtual base of the RAM block.</summary>
    public const ulong VaBase = 0x7f00_0000_0000;

    private const ulong Page = 0x1000;
    private const ulong Mega = 0x10_0000;
    private const ulong Top = ulong.MaxValue - Page + 1;

    /// <summary>The process every case runs in, with a generated limit: RAM <c>[VaBase, +4M)</c> at 4 GiB,
    /// a second RAM block right after it at 8 GiB (virtually contiguous, physically not), a hole, a 64 KiB BAR
    /// mmap at a reserved 0xfe000000, and a 1 MiB alias of RAM's second mebibyte.</summary>
    /// <param name="rlimit">RLIMIT_MEMLOCK.</param>
    /// <param name="cap">CAP_IPC_LOCK.</param>
    /// <returns>The spec.</returns>
    public static Type1HostSpec Process(ulong rlimit, bool cap) => new(
        [
            new VirtualRun(VaBase, 4 * Mega, 0x1_0000_0000),              // hva [VaBase, +4M)
            new VirtualRun(VaBase + (4 * Mega), Mega, 0x2_0000_0000),     // hva [+4M, +5M)
            new VirtualRun(VaBase + (6 * Mega), 0x1_0000, 0xfe00_0000),    // hva [+6M, +6M+64K): BAR
            new VirtualRun(VaBase + (8 * Mega), Mega, 0x1_0010_0000),      // hva [+8M, +9M): alias
        ],
        [new PhysicalRange(0xfe00_0000, 0x1_0000)],
        rlimit,
        cap);

    /// <summary>General scenarios.</summary>
    /// <returns>The arbitrary, with a shrinker that drops calls and plainer options.</returns>
    public static Arbitrary<Type1Case> Cases() => Arb.From(Gen.Sized(CaseGen), Shrink);

    private static Gen<Type1Case> CaseGen(int size) =>
        from options in OptionsGen()
        from domains in Gen.Frequency(
            (1, Gen.Constant(ImmutableArray<PageTableOptions>.Empty)),
            (5, Gen.Constant(ImmutableArray.Create(PageTableOptions.Default))),
            (3, Gen.Elements(SplitPolicy.Split, SplitPolicy.Refuse, SplitPolicy.WholeLeaf).Select(split =>
                ImmutableArray.Create(PageTableOptions.Default, new PageTableOptions { Format = PageTableFormat.ArmLpae4K, Split = split }))),
            (1, Gen.Constant(ImmutableArray.Create(
                new PageTableOptions { Format = PageTableFormat.ArmLpae64K }, new PageTableOptions { Format = PageTableFormat.ArmLpae16K }))))
        from rlimit in Gen.Frequency(
            (3, Gen.Constant(ulong.MaxValue)),
            (4, Gen.Elements<ulong>(0UL, Page, Mega, 2 * Mega, (2 * Mega) + Page, 4 * Mega, 5 * Mega)))
        from cap in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        from count in Gen.Choose(1, Math.Clamp((size / 4) + 2, 2, 16))
        from ops in OpsGen(count, [])
        select new Type1Case(
            // The smallest common page of the domains is the alignment of every call (64 KiB with a 64K-granule domain).
            domains.Any(d => d.Format.Granule == 0x1_0000) ? options with { MinPageSize = 0x1_0000 } : options,
            domains, Process(rlimit, cap), ops);

    private static Gen<Type1Options> OptionsGen() =>
        from version in Gen.Elements(Type1Version.V1, Type1Version.V2, Type1Version.V2)
        from wrap in Gen.Elements(Errno.EINVAL, Errno.EOVERFLOW)
        from limit in Gen.Elements(1, 2, 3, Type1Options.DefaultDmaEntryLimit, Type1Options.DefaultDmaEntryLimit)
        from accounting in Gen.Elements(AccountingMode.PerMapping, AccountingMode.Shared)
        from msiHole in Gen.Elements(false, true)
        select new Type1Options
        {
            Version = version,
            WrapErrno = wrap,
            DmaEntryLimit = limit,
            Accounting = accounting,
            ValidIovaRanges = msiHole
                ? [AddressRange.FromBounds(0, 0xfee0_0000), AddressRange.FromBounds(0xfef0_0000, (UInt128)1 << 48)]
                : [AddressRange.FromBounds(0, (UInt128)1 << 48)],
        };

    private static Gen<ImmutableArray<Type1Op>> OpsGen(int left, ImmutableArray<Type1Op> sofar) =>
        left == 0
            ? Gen.Constant(sofar)
            : NextOp(sofar).SelectMany(op => OpsGen(left - 1, sofar.Add(op)));

    private static Gen<Type1Op> NextOp(ImmutableArray<Type1Op> sofar)
    {
        var maps = sofar.OfType<MapDmaOp>().ToArray();
        var choices = new List<(int, Gen<Type1Op>)> { (5, MapGen(maps)), (4, PlainMapGen()), (2, AbsoluteUnmapGen()) };
        if (maps.Length > 0)
        {
            choices.Add((5, RelativeUnmapGen(maps)));
            choices.Add((1, Gen.Elements(maps).SelectMany(m => Gen.Elements(0UL, m.Size - Page, m.Size / 2)
                .Select(offset => (Type1Op)new DeviceAccessOp(m.Iova + (offset & ~(Page - 1)))))));
        }

        return Gen.Frequency([.. choices]);
    }

    private static Gen<Type1Op> MapGen(MapDmaOp[] earlier) =>
        from flags in Gen.Frequency(
            (8, Gen.Constant(Type1MapFlags.Read | Type1MapFlags.Write)),
            (3, Gen.Constant(Type1MapFlags.Read)),
            (1, Gen.Elements(Type1MapFlags.None, Type1MapFlags.Write, Type1MapFlags.Read | Type1MapFlags.Vaddr, (Type1MapFlags)8 | Type1MapFlags.Read)))
        from size in Gen.Frequency(
            (8, Gen.Elements<ulong>(Page, 2 * Page, 0x1_0000, Mega, 2 * Mega, (2 * Mega) + Page)),
            (1, Gen.Elements<ulong>(0UL, 0x800UL, 1UL << 63, 4 * Mega)))
        from iova in earlier.Length > 0
            ? Gen.Frequency((3, AbsoluteIova()), (3, Gen.Elements(earlier).SelectMany(prev => Gen.Elements(
                prev.Iova + prev.Size - Page,      // overlaps prev's last page
                prev.Iova + prev.Size,             // touches prev's end
                prev.Iova - size + Page,           // overlaps prev's first page
                prev.Iova - size,                  // touches prev's start
                prev.Iova))))
            : AbsoluteIova()
        from vaddr in Gen.Frequency(
            (8, Gen.Elements<ulong>(0UL, Page, 2 * Mega, 3 * Mega, (4 * Mega) - Page, 4 * Mega).Select(o => VaBase + o)),
            (3, Gen.Elements<ulong>(5 * Mega, (6 * Mega) - Page, 6 * Mega, 8 * Mega, (9 * Mega) - Page).Select(o => VaBase + o)),
            (1, Gen.Elements<ulong>(Top, VaBase + 0x800)))
        select (Type1Op)new MapDmaOp(flags, iova, vaddr, size);

    /// <summary>A MAP that passes every argument check: a free-looking 4 MiB slot, a backed vaddr (RAM, the second
    /// block, the BAR or the alias of RAM) and a size that stays inside the backing, so mappings pile up and
    /// the charge, the entry limit and the rlimit are reached.</summary>
    private static Gen<Type1Op> PlainMapGen() =>
        from slot in Gen.Choose(0, 7)
        from backing in Gen.Elements<(ulong Vaddr, ulong Size)>(
            (Vaddr: VaBase, Size: Mega), (VaBase + Mega, 2 * Mega), (VaBase + (3 * Mega), 2 * Mega),
            (VaBase + (4 * Mega), Mega), (VaBase + (6 * Mega), 0x1_0000), (VaBase + (8 * Mega), Mega), (VaBase + (8 * Mega), 2 * Page))
        from writable in Gen.Elements(true, true, false)
        select (Type1Op)new MapDmaOp(Type1MapFlags.Read | (writable ? Type1MapFlags.Write : Type1MapFlags.None),
            (ulong)slot * 4 * Mega, backing.Vaddr, backing.Size);

    private static Gen<ulong> AbsoluteIova() => Gen.Frequency(
        (6, Gen.Elements<ulong>(0UL, Page, 2 * Mega, 4 * Mega, (2 * Mega) - Page, 0x8000_0000)),
        (2, Gen.Elements<ulong>(0xfee0_0000UL, 0xfedf_f000, (1UL << 48) - (2 * Mega), (1UL << 48) - Page)),
        (2, Gen.Elements<ulong>(Top, ulong.MaxValue - (2 * Mega) + 1, 1UL << 63, 0x800)));

    private static Gen<Type1Op> AbsoluteUnmapGen() => Gen.Elements<Type1Op>(
        new UnmapDmaOp(Type1UnmapFlags.All, 0, 0),
        new UnmapDmaOp(Type1UnmapFlags.All, 0, Page),
        new UnmapDmaOp(Type1UnmapFlags.All, Page, 0),
        new UnmapDmaOp(Type1UnmapFlags.None, 0x4000_0000, Page),      // an empty range
        new UnmapDmaOp(Type1UnmapFlags.None, 2 * Mega, 0),
        new UnmapDmaOp(Type1UnmapFlags.None, 0x800, Page),
        new UnmapDmaOp(Type1UnmapFlags.None, Top, Page),              // the last page of the space
        new UnmapDmaOp(Type1UnmapFlags.None, Top, 2 * Page),          // wraps
        new UnmapDmaOp(Type1UnmapFlags.None, 0, 1UL << 63),
        new UnmapDmaOp(Type1UnmapFlags.GetDirtyBitmap, 0, 2 * Mega),
        new UnmapDmaOp(Type1UnmapFlags.Vaddr, 0, 2 * Mega));

    private static Gen<Type1Op> RelativeUnmapGen(MapDmaOp[] maps) =>
        from prev in Gen.Elements(maps)
        from other in Gen.Elements(maps)
        from pick in Gen.Choose(0, 6)
        select (Type1Op)(pick switch
        {
            0 => new UnmapDmaOp(Type1UnmapFlags.None, prev.Iova, prev.Size),
            1 => new UnmapDmaOp(Type1UnmapFlags.None, prev.Iova + Page, prev.Size - Page),        // bisects the start
            2 => new UnmapDmaOp(Type1UnmapFlags.None, prev.Iova, prev.Size - Page),               // bisects the end
            3 => new UnmapDmaOp(Type1UnmapFlags.None, prev.Iova, prev.Size + (2 * Mega)),         // whole plus a hole
            4 => new UnmapDmaOp(Type1UnmapFlags.None, prev.Iova - Page, prev.Size + Page),        // hole, then whole
            5 => Span(prev, other),
            _ => new UnmapDmaOp(Type1UnmapFlags.None, prev.Iova + Page, Page),                     // inside
        });

    private static UnmapDmaOp Span(MapDmaOp a, MapDmaOp b)
    {
        ulong start = Math.Min(a.Iova, b.Iova);
        UInt128 end = UInt128.Max((UInt128)a.Iova + a.Size, (UInt128)b.Iova + b.Size);
        return new UnmapDmaOp(Type1UnmapFlags.None, start, (ulong)(end - start));
    }

    /// <summary>Simpler cases: fewer calls, fewer domains, plainer options and process.</summary>
    /// <param name="c">A failing case.</param>
    /// <returns>Candidates, most aggressive first.</returns>
    public static IEnumerable<Type1Case> Shrink(Type1Case c)
    {
        ArgumentNullException.ThrowIfNull(c);
        int n = c.Ops.Length;
        if (n > 3)
        {
            yield return c with { Ops = c.Ops[(n / 2)..] };
            yield return c with { Ops = c.Ops[..(n / 2)] };
        }

        for (int i = n - 1; i >= 0; i--)
        {
            yield return c with { Ops = c.Ops.RemoveAt(i) };
        }

        if (c.Domains.Length > 1)
        {
            yield return c with { Domains = [c.Domains[0]] };
        }

        if (c.Options.MinPageSize != Page)
        {
            yield return c with { Options = c.Options with { MinPageSize = Page }, Domains = [PageTableOptions.Default] };
        }

        if (c.Host.CapIpcLock)
        {
            yield return c with { Host = c.Host with { CapIpcLock = false } };
        }

        if (c.Host.RlimitMemlock != ulong.MaxValue)
        {
            yield return c with { Host = c.Host with { RlimitMemlock = ulong.MaxValue } };
        }

        if (c.Options.DmaEntryLimit != Type1Options.DefaultDmaEntryLimit)
        {
            yield return c with { Options = c.Options with { DmaEntryLimit = Type1Options.DefaultDmaEntryLimit } };
        }

        if (c.Options.ValidIovaRanges.Length > 1)
        {
            yield return c with { Options = c.Options with { ValidIovaRanges = [AddressRange.FromBounds(0, (UInt128)1 << 48)] } };
        }
    }
}
