using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;

namespace Verify.Harness.Generators.Type1;

/// <summary>
/// Type1 scenarios aimed at the edges of docs/semantics.md 5.1-5.3: a MAP that overlaps an earlier one by one
/// page at either end or touches it, an UNMAP that bisects at either end or covers holes, wraps at 2^64,
/// the last page of the space, the entry limit, an RLIMIT_MEMLOCK reached exactly, a vaddr in a hole, in a
/// BAR (reserved pfns) or aliasing RAM mapped elsewhere, invalid flags and alignment; and of 5.4: devices with
/// well-behaved and misbehaving <c>dma_unmap</c> callbacks, pins at a mapping's first and last page and across
/// its end, 512 and 513 pages, read-only mappings, the VADDR pair, host migrations of mapped pages. The process
/// is fixed and small (about 6 MiB backed) so the page-by-page oracle stays fast.
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
    public static Arbitrary<Type1Case> Cases() => Arb.From(Gen.Sized(size => CaseGen(size, [])), Shrink);

    /// <summary>Scenarios about external pins: a device registers, a plain mapping exists and the device pins its
    /// first pages before the generated calls, so references, retries and the BUG are common.</summary>
    /// <returns>The arbitrary, with the same shrinker.</returns>
    public static Arbitrary<Type1Case> PinCases() => Arb.From(
        Gen.Sized(size =>
            from device in RegisterGen()
            from map in PlainMapGen()
            from npage in Gen.Elements(1, 2, 16)
            from c in CaseGen(size, [device, map, new PinPagesOp(((RegisterDeviceOp)device).Device, ((MapDmaOp)map).Iova, npage, Type1MapFlags.Read)])
            from unlimited in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
            select unlimited ? c with { Host = c.Host with { RlimitMemlock = ulong.MaxValue } } : c),
        Shrink);

    private static Gen<Type1Case> CaseGen(int size, ImmutableArray<Type1Op> prefix) =>
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
        from ops in OpsGen(count, prefix, domains.Any(d => d.Format.Granule == 0x1_0000) ? 0x1_0000 : Page)
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

    private static Gen<ImmutableArray<Type1Op>> OpsGen(int left, ImmutableArray<Type1Op> sofar, ulong page) =>
        left == 0
            ? Gen.Constant(sofar)
            : NextOp(sofar, page).SelectMany(op => OpsGen(left - 1, sofar.Add(op), page));

    private static Gen<Type1Op> NextOp(ImmutableArray<Type1Op> sofar, ulong page)
    {
        var maps = sofar.OfType<MapDmaOp>().Where(m => (m.Flags & Type1MapFlags.Vaddr) == 0).ToArray();
        var pins = sofar.OfType<PinPagesOp>().ToArray();
        bool registered = sofar.OfType<RegisterDeviceOp>().Any();
        var choices = new List<(int, Gen<Type1Op>)>
        {
            (5, MapGen(maps)), (4, PlainMapGen()), (2, AbsoluteUnmapGen()), (registered ? 1 : 3, RegisterGen()),
            (1, MigrateGen(maps, page, sofar.Length)),
        };
        if (maps.Length > 0)
        {
            choices.Add((5, RelativeUnmapGen(maps)));
            choices.Add((1, Gen.Elements(maps).SelectMany(m => Gen.Elements(0UL, m.Size - Page, m.Size / 2)
                .Select(offset => (Type1Op)new DeviceAccessOp(m.Iova + (offset & ~(Page - 1)))))));
            choices.Add((registered ? 8 : 1, PinGen(maps, page)));
            choices.Add((2, VaddrGen(maps, page)));
        }

        if (pins.Length > 0)
        {
            // Pin again (a reference), unpin, and unmap what holds the pins (callbacks, retries, the BUG).
            choices.Add((4, UnpinGen(pins)));
            choices.Add((4, Gen.Elements(pins).Select(p => (Type1Op)(p with { Npage = Math.Clamp(p.Npage, 1, 2) }))));
            var holding = maps.Where(m => pins.Any(p => p.Iova >= m.Iova && p.Iova - m.Iova < m.Size)).ToArray();
            choices.Add((4, holding.Length > 0
                ? Gen.Elements(holding).Select(m => (Type1Op)new UnmapDmaOp(Type1UnmapFlags.None, m.Iova, m.Size))
                : Gen.Constant<Type1Op>(new UnmapDmaOp(Type1UnmapFlags.All, 0, 0))));
        }

        return Gen.Frequency([.. choices]);
    }

    /// <summary>Mostly correct drivers; broken and slow ones, and one without a callback, often enough to reach
    /// the retry loop's end.</summary>
    private static Gen<Type1Op> RegisterGen() =>
        from device in Gen.Elements("vgpu0", "vgpu0", "vgpu1")
        from callback in Gen.Frequency(
            (4, Gen.Constant(Type1DeviceCallback.UnpinsAll)),
            (2, Gen.Constant(Type1DeviceCallback.UnpinsNothing)),
            (2, Gen.Constant(Type1DeviceCallback.UnpinsOnePage)),
            (1, Gen.Constant(Type1DeviceCallback.None)))
        select (Type1Op)new RegisterDeviceOp(device, callback);

    /// <summary>Pins aimed at a mapping's edges: its first and last page, across its end and its start, a whole
    /// 2 MiB worth (512 pages) and one more, none at all, past the mapping's rights.</summary>
    private static Gen<Type1Op> PinGen(MapDmaOp[] maps, ulong page) =>
        from m in Gen.Frequency(
            (3, Gen.Elements(maps.Where(IsPlain).DefaultIfEmpty(maps[0]).ToArray())),
            (1, Gen.Elements(maps)))
        from device in Gen.Frequency((4, Gen.Constant("vgpu0")), (1, Gen.Constant("vgpu1")))
        from shape in Gen.Elements<(long Offset, int Npage)>(
            (0, 1), (0, 1), (0, 2), (1, 3), (-1, 1), (-1, 2), (0, 512), (0, 513), (0, 0), (-2, 1))
        from prot in Gen.Frequency(
            (4, Gen.Constant(Type1MapFlags.Read | Type1MapFlags.Write)),
            (3, Gen.Constant(Type1MapFlags.Read)),
            (1, Gen.Constant(Type1MapFlags.Write)))
        select (Type1Op)new PinPagesOp(device, shape.Offset switch
        {
            -1 => m.Iova + (m.Size & ~(page - 1)) - page,   // the last page: npage 2 crosses the end
            -2 => m.Iova - page,                            // the page before: no mapping
            _ => m.Iova + ((ulong)shape.Offset * page),
        }, shape.Npage, prot);

    /// <summary>Unpins of earlier pins: the same pages, the first page only, a page past them, 0 and 513 pages.</summary>
    private static Gen<Type1Op> UnpinGen(PinPagesOp[] pins) =>
        from pin in Gen.Elements(pins)
        from device in Gen.Frequency((5, Gen.Constant(pin.Device)), (1, Gen.Constant("vgpu1")))
        from npage in Gen.Elements(pin.Npage, pin.Npage, 1, 0, 513)
        select (Type1Op)new UnpinPagesOp(device, pin.Iova, npage);

    /// <summary>The VADDR pair: invalidate a mapping (or all), then restore it with its own vaddr, another backed
    /// one, a hole; or get it wrong: READ with VADDR, a size that differs, an iova nothing holds.</summary>
    private static Gen<Type1Op> VaddrGen(MapDmaOp[] maps, ulong page) =>
        from m in Gen.Elements(maps)
        from pick in Gen.Choose(0, 8)
        select (Type1Op)(pick switch
        {
            0 or 1 => new UnmapDmaOp(Type1UnmapFlags.Vaddr, m.Iova, m.Size),
            2 => new UnmapDmaOp(Type1UnmapFlags.Vaddr | Type1UnmapFlags.All, 0, 0),
            3 or 4 => new MapDmaOp(Type1MapFlags.Vaddr, m.Iova, m.Vaddr, m.Size),
            5 => new MapDmaOp(Type1MapFlags.Vaddr, m.Iova, VaBase + (8 * Mega), m.Size),
            6 => new MapDmaOp(Type1MapFlags.Vaddr | Type1MapFlags.Read, m.Iova, m.Vaddr, m.Size),
            7 => new MapDmaOp(Type1MapFlags.Vaddr, m.Iova, m.Vaddr, m.Size - page),
            _ => new MapDmaOp(Type1MapFlags.Vaddr, m.Iova + m.Size + (4 * Mega), m.Vaddr, m.Size),
        });

    /// <summary>The host migrates one page: one a mapping uses (pinned with a domain, not without), plain RAM, the
    /// BAR, a hole. Each op gets its own fresh target so targets never collide, whatever the shrinker drops.</summary>
    private static Gen<Type1Op> MigrateGen(MapDmaOp[] maps, ulong page, int position) =>
        from hva in maps.Length > 0
            ? Gen.Frequency(
                (4, Gen.Elements(maps).SelectMany(m => Gen.Elements(m.Vaddr, m.Vaddr + m.Size - page))),
                (2, Gen.Elements(VaBase, VaBase + (3 * Mega), VaBase + (6 * Mega), VaBase + (5 * Mega))))
            : Gen.Elements(VaBase, VaBase + (3 * Mega), VaBase + (6 * Mega), VaBase + (5 * Mega))
        select (Type1Op)new MigrateOp(hva & ~(page - 1), FreshMemory + ((ulong)position * Mega));

    /// <summary>Physical memory no run, BAR or earlier migration uses: where migrated pages go.</summary>
    private const ulong FreshMemory = 0x40_0000_0000;

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

    /// <summary>Whether a MAP looks like <see cref="PlainMapGen"/>'s: a slot-aligned IOVA and a backed vaddr.</summary>
    private static bool IsPlain(MapDmaOp m) => m.Iova % (4 * Mega) == 0 && m.Iova < 32 * Mega && m.Size <= 2 * Mega && m.Vaddr >= VaBase;

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

    /// <summary>Plainer versions of one call: fewer pages, a correct driver, no VADDR flag.</summary>
    private static IEnumerable<Type1Op> Simpler(Type1Op op)
    {
        switch (op)
        {
            case PinPagesOp { Npage: > 1 } p:
                yield return p with { Npage = 1 };
                yield return p with { Npage = p.Npage / 2 };
                break;
            case UnpinPagesOp { Npage: > 1 } u:
                yield return u with { Npage = 1 };
                break;
            case RegisterDeviceOp { Callback: not Type1DeviceCallback.UnpinsAll } r:
                yield return r with { Callback = Type1DeviceCallback.UnpinsAll };
                break;
            case UnmapDmaOp { Flags: Type1UnmapFlags.Vaddr | Type1UnmapFlags.All } u:
                yield return u with { Flags = Type1UnmapFlags.All };
                break;
        }
    }

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

        for (int i = 0; i < n; i++)
        {
            foreach (var simpler in Simpler(c.Ops[i]))
            {
                yield return c with { Ops = c.Ops.SetItem(i, simpler) };
            }
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
