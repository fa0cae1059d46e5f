using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;

namespace Verify.Harness.Generators;

/// <summary>
/// Generates <c>info mtree -f</c> dumps for FV-05, aimed at the edges of the format: a range ending at
/// 2^64, a 2^64-sized range, offsets near 2^64, adjacent ranges, region names with dots, dashes and
/// spaces, every flat kind with readonly/nonvolatile/romd/dirty/unmergeable, annotations (accelerator,
/// owner groups, the overflow marker, unknown words), and several sections, some empty.
/// </summary>
public static class MtreeTextGenerators
{
    private const ulong Page = 0x1000;

    private static readonly string[] RegionNames =
        ["pc.ram", "pc.bios", "vga-lowmem", "isa-bios", "kvm-ioapic", "0000:01:00.0 BAR 0 mmaps[0]", "virtio-pci-common-virtio-net", "a.b-c_d.0", "x"];

    private static readonly RegionKind[] FlatKinds =
        [RegionKind.Ram, RegionKind.RomDevice, RegionKind.RamDevice, RegionKind.Io, RegionKind.Iommu];

    private static readonly string[][] AnnotationChoices =
    [
        [], [], [], ["KVM"], ["KVM", "KVM"], ["[DETECTED OVERFLOW!]"], ["owner:{dev id=vga}", "KVM"], ["orphan"],
        ["future-flag"], ["x=1", "KVM"], ["@00000000000000ff"],
    ];

    private static readonly MtreeAddressSpace[] AddressSpaces =
    [
        new("memory", "system"), new("cpu-memory-0", "system"), new("I/O", "io"),
        new("virtio-net-pci", "bus master container"), new("vfio-pci", "bus master container", "pci"),
    ];

    private static readonly string[] RootNames = ["system", "io", "(none)", "bus master container"];

    /// <summary>Dumps with shrinking: sections, ranges, annotations and attributes shrink away one at a time.</summary>
    public static Arbitrary<MtreeTextCase> Cases { get; } = Arb.From(CaseGen(), Shrink);

    private readonly record struct RangeSpec(
        ulong Gap, ulong Size, int Name, RegionKind Kind, int OffsetKind, ulong OffsetSeed, int Flags, int Priority);

    private static Gen<MtreeTextCase> CaseGen() =>
        from sections in Gen.Frequency(
                (3, SectionGen().ListOf(1)),
                (3, SectionGen().ListOf(2)),
                (1, SectionGen().ListOf(3)))
        from numbers in Gen.Frequency(
                (3, Gen.Constant<int[]?>(null)),
                (1, Gen.Choose(1, 3).ArrayOf(sections.Count).Select<int[], int[]?>(gaps => Numbering(gaps))))
        from start in Gen.Frequency((6, Gen.Constant(MtreeFlatStart.Header)), (1, Gen.Constant(MtreeFlatStart.RootLine)), (1, Gen.Constant(MtreeFlatStart.Ranges)))
        select new MtreeTextCase(Pasted(sections, numbers, start));

    private static bool Allowed(MtreeFlatSection first, MtreeFlatStart start) =>
        first.AddressSpaces.IsEmpty && (start != MtreeFlatStart.Ranges || (first.RootRegion == MtreeFlatDump.UnknownRoot && first.View.Count > 0));

    // A paste of the first view from below its header: no address spaces; from its ranges, no root line either.
    private static MtreeFlatDump Pasted(IList<MtreeFlatSection> sections, int[]? numbers, MtreeFlatStart start)
    {
        var first = sections[0];
        if (start == MtreeFlatStart.Header || (start == MtreeFlatStart.Ranges && first.View.Count == 0))
        {
            return new MtreeFlatDump(sections, numbers);
        }

        var bare = new MtreeFlatSection([], start == MtreeFlatStart.Ranges ? MtreeFlatDump.UnknownRoot : first.RootRegion, first.View, first.Annotations);
        if (numbers is not null)
        {
            numbers[0] = 0; // not printed, so it reads as #0
        }

        return new MtreeFlatDump(sections.Skip(1).Prepend(bare), numbers, start);
    }

    // A paste that kept only some of the views: the numbers still ascend, with gaps (and may not start at 0).
    private static int[] Numbering(int[] gaps)
    {
        var numbers = new int[gaps.Length];
        for (int i = 0; i < gaps.Length; i++)
        {
            numbers[i] = (i == 0 ? -1 : numbers[i - 1]) + gaps[i];
        }

        return numbers;
    }

    private static Gen<MtreeFlatSection> SectionGen() =>
        from spaces in Gen.SubListOf(AddressSpaces)
        from root in Gen.Elements(RootNames)
        from view in Gen.Frequency((1, WholeSpaceViewGen()), (1, Gen.Constant(FlatView.Empty)), (8, LaidOutViewGen()))
        from annotations in Gen.Elements(AnnotationChoices).ArrayOf(view.Count)
        select new MtreeFlatSection(spaces, root, view, annotations);

    private static Gen<FlatView> WholeSpaceViewGen() =>
        from spec in RangeSpecGen()
        select FlatView.Create([Attributes(AddressRange.WholeSpace, spec)]);

    private static Gen<FlatView> LaidOutViewGen() =>
        from count in Gen.Sized(size => Gen.Choose(1, Math.Clamp(1 + (size / 12), 1, 8)))
        from specs in RangeSpecGen().ListOf(count)
        from toTop in Gen.Frequency((1, Gen.Constant(true)), (2, Gen.Constant(false)))
        select Layout(specs, toTop);

    private static Gen<RangeSpec> RangeSpecGen() =>
        from gap in Gen.Frequency(
            (5, Gen.Constant(0UL)),
            (3, Gen.Choose(1, 64).Select(n => (ulong)n * Page)),
            (1, Gen.Choose(1, 0xfff).Select(n => (ulong)n)),
            (1, Gen.Choose(32, 62).Select(bits => 1UL << bits)))
        from size in Gen.Frequency(
            (5, Gen.Choose(1, 16).Select(n => (ulong)n * Page)),
            (2, Gen.Choose(1, 0xfff).Select(n => (ulong)n)),
            (2, Gen.Choose(32, 62).Select(bits => 1UL << bits)),
            (1, Gen.Constant(1UL << 63)))
        from name in Gen.Choose(0, RegionNames.Length - 1)
        from kind in Gen.Elements(FlatKinds)
        from offsetKind in Gen.Frequency((5, Gen.Constant(0)), (3, Gen.Constant(1)), (2, Gen.Constant(2)))
        from offsetSeed in Gen.Choose(0, 0x10_0000).Select(n => (ulong)n * 0x10)
        from flags in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(0, 31)))
        from priority in Gen.Choose(-2, 3)
        select new RangeSpec(gap, size, name, kind, offsetKind, offsetSeed, flags, priority);

    /// <summary>Places the ranges one after the other from address 0, each after its gap, clipped at 2^64;
    /// with <paramref name="toTop"/> the last range is stretched to end at 2^64.</summary>
    private static FlatView Layout(IReadOnlyList<RangeSpec> specs, bool toTop)
    {
        var ranges = new List<FlatRange>();
        UInt128 cursor = 0;
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            UInt128 start = cursor + spec.Gap;
            if (start >= AddressSpace.End)
            {
                break;
            }

            UInt128 room = AddressSpace.End - start;
            UInt128 size = toTop && i == specs.Count - 1 ? room : UInt128.Min(spec.Size, room);
            var range = new AddressRange((ulong)start, size);
            ranges.Add(Attributes(range, spec));
            cursor = range.End;
        }

        return FlatView.Create(ranges);
    }

    private static FlatRange Attributes(AddressRange range, RangeSpec spec)
    {
        // An offset must keep the range inside its region: offset + size <= 2^64.
        UInt128 maxOffset = AddressSpace.End - range.Size;
        ulong offset = spec.OffsetKind switch
        {
            0 => 0,
            1 => (ulong)UInt128.Min(spec.OffsetSeed, maxOffset),
            _ => (ulong)(maxOffset - UInt128.Min(spec.OffsetSeed, maxOffset)),
        };
        return new FlatRange(
            range, RegionNames[spec.Name], spec.Kind, offset,
            ReadOnly: (spec.Flags & 1) != 0,
            NonVolatile: (spec.Flags & 2) != 0,
            RomdMode: (spec.Flags & 4) == 0,
            DirtyLogMask: (byte)((spec.Flags & 8) != 0 ? 0b101 : 0),
            Unmergeable: (spec.Flags & 16) != 0,
            Priority: spec.Priority);
    }

    /// <summary>Smaller cases, one change each: a section or a range removed, the view moved down to 0, a long
    /// range cut to one page, an address space removed; then per range its annotations, offset, name, attributes
    /// and kind made plain.</summary>
    /// <param name="input">A case.</param>
    /// <returns>The candidates, most drastic first.</returns>
    public static IEnumerable<MtreeTextCase> Shrink(MtreeTextCase input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var sections = input.Dump.Sections;
        var numbers = input.Dump.Numbers;
        var start = input.Dump.Start;
        if (sections.Length > 1)
        {
            for (int s = 0; s < sections.Length; s++)
            {
                // Without the first section the text starts at the next one's header.
                yield return new MtreeTextCase(new MtreeFlatDump(sections.RemoveAt(s), numbers.RemoveAt(s), s == 0 ? MtreeFlatStart.Header : start));
            }
        }

        if (start != MtreeFlatStart.Header)
        {
            yield return new MtreeTextCase(new MtreeFlatDump(sections, numbers));
        }

        if (!numbers.SequenceEqual(Enumerable.Range(0, numbers.Length)))
        {
            yield return new MtreeTextCase(new MtreeFlatDump(sections, null, start));
        }

        for (int s = 0; s < sections.Length; s++)
        {
            foreach (var smaller in ShrinkSection(sections[s]))
            {
                if (s == 0 && start != MtreeFlatStart.Header && !Allowed(smaller, start))
                {
                    continue;
                }

                yield return new MtreeTextCase(new MtreeFlatDump(sections.SetItem(s, smaller), numbers, start));
            }
        }
    }

    private static IEnumerable<MtreeFlatSection> ShrinkSection(MtreeFlatSection section)
    {
        var ranges = section.View.Ranges;
        var annotations = section.Annotations;
        for (int i = 0; i < ranges.Length; i++)
        {
            yield return new MtreeFlatSection(section.AddressSpaces, section.RootRegion, FlatView.Create(ranges.RemoveAt(i)), annotations.RemoveAt(i));
        }

        // Smaller numbers read better: move the whole view down to 0, and cut each long range to one page.
        if (ranges.Length > 0 && ranges[0].Range.Start != 0)
        {
            ulong shift = ranges[0].Range.Start;
            var lowered = ranges.Select(r => r with { Range = r.Range.ShiftDown(shift) });
            yield return new MtreeFlatSection(section.AddressSpaces, section.RootRegion, FlatView.Create(lowered), annotations);
        }

        for (int i = 0; i < ranges.Length; i++)
        {
            if (ranges[i].Range.Size > Page)
            {
                var cut = ranges[i] with { Range = new AddressRange(ranges[i].Range.Start, Page) };
                yield return new MtreeFlatSection(section.AddressSpaces, section.RootRegion, FlatView.Create(ranges.SetItem(i, cut)), annotations);
            }
        }

        if (section.RootRegion != "system")
        {
            yield return new MtreeFlatSection(section.AddressSpaces, "system", section.View, annotations);
        }

        for (int a = 0; a < section.AddressSpaces.Length; a++)
        {
            yield return new MtreeFlatSection(section.AddressSpaces.RemoveAt(a), section.RootRegion, section.View, annotations);
        }

        for (int i = 0; i < ranges.Length; i++)
        {
            if (!annotations[i].IsEmpty)
            {
                yield return new MtreeFlatSection(section.AddressSpaces, section.RootRegion, section.View, annotations.SetItem(i, []));
            }

            foreach (var plainer in PlainerRanges(ranges[i]))
            {
                yield return new MtreeFlatSection(section.AddressSpaces, section.RootRegion, FlatView.Create(ranges.SetItem(i, plainer)), annotations);
            }
        }
    }

    private static IEnumerable<FlatRange> PlainerRanges(FlatRange r)
    {
        if (r.OffsetInRegion != 0)
        {
            yield return r with { OffsetInRegion = 0 };
        }

        if (r.Region != "x")
        {
            yield return r with { Region = "x" };
        }

        var plain = new FlatRange(r.Range, r.Region, r.Kind, r.OffsetInRegion);
        if (r != plain)
        {
            yield return plain;
        }

        if (r.Kind != RegionKind.Ram)
        {
            yield return r with { Kind = RegionKind.Ram };
        }
    }

    /// <summary>The address-space edge cases a case exercises, for <c>.Classify</c>.</summary>
    /// <param name="input">A case.</param>
    /// <returns>Labels: <c>2^64-sized range</c>, <c>ends at 2^64</c>, <c>offset near 2^64</c>, <c>adjacent ranges</c>, <c>several sections</c>.</returns>
    public static ImmutableArray<(bool Holds, string Label)> EdgeCases(MtreeTextCase input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var all = input.Dump.Sections.SelectMany(s => s.View.Ranges).ToList();
        bool adjacent = input.Dump.Sections.Any(s => s.View.Ranges.Zip(s.View.Ranges.Skip(1)).Any(p => p.First.Range.End == p.Second.Range.Start));
        return
        [
            (all.Any(r => r.Range.Size == AddressSpace.End), "2^64-sized range"),
            (all.Any(r => r.Range.EndsAtTop && r.Range.Size != AddressSpace.End), "ends at 2^64"),
            (all.Any(r => r.OffsetInRegion >= AddressSpace.Bit63), "offset near 2^64"),
            (adjacent, "adjacent ranges"),
            (input.Dump.Sections.Length > 1, "several sections"),
        ];
    }
}
