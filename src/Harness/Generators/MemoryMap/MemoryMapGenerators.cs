using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>
/// Generators (with shrinkers) for region trees, transactions and flat views, biased toward the edges of
/// docs/semantics.md 1-2: windows at the top of the space (ranges ending at 2^64), whole-space regions, large
/// units that straddle superpage boundaries, priority ties, aliases with offsets, and neighbours that merge
/// or almost merge.
/// </summary>
public static class MemoryMapGenerators
{
    private static readonly ulong[] SmallUnits = [0x1000, 0x1_0000];

    /// <summary>Grids: low 4K windows, windows ending at 2^64, windows across 2M/1G boundaries, the whole space in 2^56 units.</summary>
    public static Gen<Grid> Grids { get; } = Gen.Frequency(
        (4, from unit in Gen.Elements(SmallUnits) from units in Gen.Choose(8, 48) select new Grid(unit, 0, units)),
        (2, from units in Gen.Choose(8, 48) select new Grid(0x1000, 0UL - (0x1000UL * (ulong)units), units)),
        (2, from units in Gen.Choose(8, 48)
            from boundary in Gen.Elements(0x20_0000UL, 0x4000_0000UL, 0x2000_0000UL)
            select new Grid(0x1000, boundary - (0x1000UL * (ulong)(units / 2)), units)),
        (1, from units in Gen.Choose(8, 32) select new Grid(0x20_0000, 0x4000_0000UL - (0x20_0000UL * (ulong)(units / 2)), units)),
        (1, Gen.Constant(new Grid(1UL << 56, 0, 256))));

    /// <summary>Arbitrary region trees.</summary>
    public static Arbitrary<RegionTreeCase> TreeCases { get; } = Arb.From(Gen.Sized(TreeCase), c => c.Shrink());

    /// <summary>Arbitrary trees with a sequence of transactions.</summary>
    public static Arbitrary<TreeTransactionCase> TransactionCases { get; } = Arb.From(
        from tree in Gen.Sized(TreeCase)
        from ops in Gen.ListOf(Operation(tree)).Resize(6)
        select new TreeTransactionCase(tree, [.. ops]),
        c => c.Shrink());

    /// <summary>Arbitrary lists of flat ranges, about a third of them invalid (overlapping, unsorted or empty).</summary>
    public static Arbitrary<FlatRangesCase> RangeLists { get; } = Arb.From(
        from grid in Grids
        from valid in ValidRanges(grid)
        from breakIt in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(1, 4)))
        from broken in Break(valid, breakIt, grid)
        select new FlatRangesCase(grid, broken),
        c => c.Shrink());

    /// <summary>Arbitrary valid views (lists that <see cref="FlatView.Create"/> accepts), with many mergeable neighbours.</summary>
    public static Arbitrary<FlatRangesCase> ValidRangeLists { get; } = Arb.From(
        from grid in Grids
        from valid in ValidRanges(grid)
        select new FlatRangesCase(grid, valid),
        c => c.Shrink().Where(s => FlatView.FindDefect(s.Ranges) is null));

    private static Gen<RegionTreeCase> TreeCase(int size)
    {
        int maxRegions = Math.Clamp(2 + (size / 8), 2, 14);
        return from grid in Grids
               from count in Gen.Choose(2, maxRegions)
               from background in Background(grid)
               from regions in RegionList(grid, count, background)
               from placements in PlacementList(grid, regions, background)
               let candidate = new RegionTreeCase(grid, regions, placements)
               select candidate.TryBuild() is null ? new RegionTreeCase(grid, regions, []) : candidate;
    }

    // Half the trees get what real machines have under everything else: a whole-space i/o region at priority -1
    // (QEMU's "pci") or RAM across the window, so most generated views have no holes and many neighbours.
    private static Gen<RegionSpec?> Background(Grid grid) => Gen.Frequency(
        (2, Gen.Constant<RegionSpec?>(null)),
        (1, Gen.Constant<RegionSpec?>(new RegionSpec("pci", RegionKind.Io, 0, WholeSpace: true))),
        (1, Gen.Constant<RegionSpec?>(new RegionSpec("bg.ram", RegionKind.Ram, (ulong)grid.Units))));

    private static Gen<ImmutableArray<RegionSpec>> RegionList(Grid grid, int count, RegionSpec? background)
    {
        Gen<ImmutableArray<RegionSpec>> gen = Gen.Constant(background is null ? ImmutableArray<RegionSpec>.Empty : [background]);
        for (int i = 0; i < count; i++)
        {
            int index = i;
            gen = from earlier in gen
                  from next in Region(grid, index, earlier)
                  select earlier.Add(next);
        }

        return gen;
    }

    private static Gen<RegionSpec> Region(Grid grid, int index, ImmutableArray<RegionSpec> earlier)
    {
        var kinds = new List<(int, Gen<RegionKind>)>
        {
            (7, Gen.Constant(RegionKind.Ram)),
            (2, Gen.Constant(RegionKind.Container)),
            (2, Gen.Constant(RegionKind.Io)),
            (1, Gen.Constant(RegionKind.Rom)),
            (1, Gen.Constant(RegionKind.RomDevice)),
            (1, Gen.Constant(RegionKind.RamDevice)),
            (1, Gen.Constant(RegionKind.Iommu)),
        };
        if (!earlier.IsEmpty)
        {
            kinds.Add((4, Gen.Constant(RegionKind.Alias)));
        }

        var flag = (int percent) => Gen.Frequency((percent, Gen.Constant(true)), (100 - percent, Gen.Constant(false)));
        return from kind in Gen.Frequency(kinds)
               from whole in kind is RegionKind.Container or RegionKind.Io ? flag(10) : Gen.Constant(false)
               from sizeUnits in Gen.Frequency((3, Gen.Choose(1, 4)), (2, Gen.Choose(1, grid.Units)))
               from target in earlier.IsEmpty ? Gen.Constant<RegionSpec?>(null) : Gen.Elements(earlier.ToArray()).Select(r => (RegionSpec?)r)
               from offset in Gen.Choose(0, Math.Max(0, grid.Units - 1))
               from enabled in flag(88)
               from readOnly in flag(kind == RegionKind.Rom ? 90 : 15)
               from nonVolatile in flag(8)
               from unmergeable in flag(8)
                   // QEMU's clients are bits (DIRTY_MEMORY_VGA, _CODE, _MIGRATION): a change between two non-zero masks is a
                   // log_stop and a log_start of one range.
               from dirty in Gen.Frequency((9, Gen.Constant((byte)0)), (1, Gen.Elements((byte)1, (byte)2, (byte)3, (byte)4, (byte)5, (byte)6, (byte)7)))
               from romd in kind == RegionKind.RomDevice ? flag(60) : Gen.Constant(true)
               select new RegionSpec(
                   $"{Abbreviation(kind)}{index}",
                   kind,
                   (ulong)sizeUnits,
                   whole,
                   kind == RegionKind.Alias ? target!.Name : null,
                   kind == RegionKind.Alias ? (ulong)(target!.WholeSpace ? offset : Math.Min(offset, Math.Max(0, (int)target.SizeUnits - 1))) : 0,
                   enabled,
                   readOnly,
                   nonVolatile,
                   unmergeable,
                   dirty,
                   romd);
    }

    private static Gen<ImmutableArray<PlacementSpec>> PlacementList(Grid grid, ImmutableArray<RegionSpec> regions, RegionSpec? background)
    {
        Gen<ImmutableArray<PlacementSpec>> gen = Gen.Constant(background is null
            ? ImmutableArray<PlacementSpec>.Empty
            : [new PlacementSpec(RegionTreeCase.RootName, background.Name, 0, -1)]);
        for (int i = background is null ? 0 : 1; i < regions.Length; i++)
        {
            var child = regions[i];
            var parents = regions.Take(i).Where(r => r.Kind != RegionKind.Alias).Select(r => r.Name).Prepend(RegionTreeCase.RootName).ToArray();
            gen = from earlier in gen
                  from placed in Gen.Frequency((9, Gen.Constant(true)), (1, Gen.Constant(false)))
                  from parent in Gen.Frequency((3, Gen.Constant(RegionTreeCase.RootName)), (2, Gen.Elements(parents)))
                  from address in Gen.Frequency((3, Gen.Choose(0, 3)), (3, Gen.Choose(0, grid.Units - 1)))
                  from priority in Gen.Elements(-1, 0, 0, 0, 1, 1, 2)
                  select placed ? earlier.Add(new PlacementSpec(parent, child.Name, (ulong)address, priority)) : earlier;
        }

        return gen;
    }

    private static Gen<TreeOperation> Operation(RegionTreeCase tree)
    {
        var names = tree.Regions.Select(r => r.Name).ToArray();
        if (names.Length == 0)
        {
            return Gen.Constant<TreeOperation>(new TreeOperation.Unplace(RegionTreeCase.RootName));
        }

        var aliases = tree.Regions.Where(r => r.Kind == RegionKind.Alias).Select(r => r.Name).ToArray();
        var parents = tree.Regions.Where(r => r.Kind != RegionKind.Alias).Select(r => r.Name).Append(RegionTreeCase.RootName).ToArray();
        var ops = new List<(int, Gen<TreeOperation>)>
        {
            (5, from n in Gen.Elements(names)
                from f in Gen.Elements(Enum.GetValues<RegionFlag>())
                from v in Gen.Elements(true, false)
                select (TreeOperation)new TreeOperation.SetFlag(n, f, v)),
            (2, from n in Gen.Elements(names) from a in Gen.Choose(0, tree.Grid.Units - 1) select (TreeOperation)new TreeOperation.Move(n, (ulong)a)),
            (1, from n in Gen.Elements(names) select (TreeOperation)new TreeOperation.Unplace(n)),
            (1, from n in Gen.Elements(names) select (TreeOperation)new TreeOperation.HandOverDirtyLog(n)),
            (1, from n in Gen.Elements(names)
                from p in Gen.Elements(parents)
                from a in Gen.Choose(0, tree.Grid.Units - 1)
                from prio in Gen.Elements(-1, 0, 1, 2)
                select (TreeOperation)new TreeOperation.Place(new PlacementSpec(p, n, (ulong)a, prio))),
        };
        // A move onto a sibling of the same priority: QEMU's delete-then-add makes the moved region the newest, so it
        // now wins where the two overlap; random moves and priorities rarely build that shape.
        var ties = tree.Placements.GroupBy(p => (p.Parent, p.Priority)).Where(g => g.Count() > 1).Select(g => g.ToArray()).ToArray();
        if (ties.Length > 0)
        {
            ops.Add((2, from tied in Gen.Elements(ties)
                        from moved in Gen.Elements(tied)
                        from onto in Gen.Elements(tied.Where(p => p != moved).ToArray())
                        select (TreeOperation)new TreeOperation.Move(moved.Child, onto.AddressUnits)));
        }

        // A region shown through an alias and then unplaced keeps the priority its placement gave it (QEMU's VGA:
        // vga.vram behind vga.chain4 after BAR 0 is unmapped), so unplace an aliased, prioritised region on purpose.
        var aliasedTargets = tree.Regions.Where(r => r.AliasTarget is not null).Select(r => r.AliasTarget!).ToHashSet(StringComparer.Ordinal);
        var prioritisedTargets = tree.Placements.Where(p => p.Priority != 0 && aliasedTargets.Contains(p.Child)).Select(p => p.Child).ToArray();
        if (prioritisedTargets.Length > 0)
        {
            ops.Add((2, from n in Gen.Elements(prioritisedTargets) select (TreeOperation)new TreeOperation.Unplace(n)));
        }

        if (aliases.Length > 0)
        {
            ops.Add((2, from n in Gen.Elements(aliases) from o in Gen.Choose(0, tree.Grid.Units - 1) select (TreeOperation)new TreeOperation.SetAliasOffset(n, (ulong)o)));
        }

        return Gen.Frequency(ops);
    }

    private static Gen<ImmutableArray<FlatRange>> ValidRanges(Grid grid) =>
        from count in Gen.Choose(0, Math.Min(12, grid.Units))
        from cuts in Gen.ArrayOf(Gen.Choose(0, grid.Units), count * 2)
        from attributes in Gen.ArrayOf(RangeAttributes(), count)
        select Assemble(grid, cuts, attributes);

    private static ImmutableArray<FlatRange> Assemble(Grid grid, int[] cuts, FlatRange[] attributes)
    {
        // Sorted distinct cut points give disjoint ranges; each range is placed at offset = its start minus a
        // per-region base, so same-region neighbours with equal attributes are mergeable, as after QEMU's render.
        var points = cuts.Distinct().Order().ToArray();
        var ranges = ImmutableArray.CreateBuilder<FlatRange>();
        for (int i = 0; i + 1 < points.Length && i < attributes.Length; i += 1)
        {
            ulong start = grid.At((ulong)points[i]);
            UInt128 size = (UInt128)(ulong)(points[i + 1] - points[i]) * grid.Unit;
            var a = attributes[i];
            // ulong.MaxValue asks for a range that ends exactly at the 2^64 end of its region.
            ulong offset = a.OffsetInRegion switch
            {
                0 => start - grid.WindowStart,
                ulong.MaxValue => (ulong)(Verify.MemoryMap.AddressSpace.End - size),
                _ => a.OffsetInRegion,
            };
            ranges.Add(a with { Range = new AddressRange(start, size), OffsetInRegion = offset });
        }

        return ranges.ToImmutable();
    }

    private static Gen<FlatRange> RangeAttributes() =>
        from region in Gen.Elements("A", "B", "pc.ram")
        from kind in Gen.Frequency((5, Gen.Constant(RegionKind.Ram)), (1, Gen.Constant(RegionKind.Io)), (1, Gen.Constant(RegionKind.RamDevice)), (1, Gen.Constant(RegionKind.RomDevice)))
        from odd in Gen.Frequency((5, Gen.Constant(0UL)), (1, Gen.Elements(0x1000UL, ulong.MaxValue)))
        from readOnly in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from nonVolatile in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
        from unmergeable in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
        from dirty in Gen.Frequency((6, Gen.Constant((byte)0)), (1, Gen.Constant((byte)1)), (1, Gen.Elements((byte)2, (byte)3, (byte)4, (byte)5, (byte)6, (byte)7)))
        from romd in Gen.Frequency((6, Gen.Constant(true)), (1, Gen.Constant(false)))
        select new FlatRange(default, region, kind, odd, readOnly, nonVolatile, kind != RegionKind.RomDevice || romd, dirty, unmergeable);

    private static Gen<ImmutableArray<FlatRange>> Break(ImmutableArray<FlatRange> valid, int how, Grid grid)
    {
        if (how == 0 || valid.IsEmpty)
        {
            return Gen.Constant(valid);
        }

        return from i in Gen.Choose(0, valid.Length - 1)
               select how switch
               {
                   1 => valid.Insert(i, valid[i] with { Range = new AddressRange(valid[i].Range.Start, grid.Unit) }), // duplicate start: overlap
                   2 => valid.Length > 1 ? valid.RemoveAt(i).Add(valid[i]) : valid.Add(valid[i]),                   // out of order
                   3 => valid.SetItem(i, valid[i] with { Range = new AddressRange(valid[i].Range.Start, 0) }),         // empty
                   _ => valid.SetItem(i, valid[i] with { Kind = RegionKind.Container }),                               // not a terminal region
               };
    }

    private static string Abbreviation(RegionKind kind) => kind switch
    {
        RegionKind.Container => "c",
        RegionKind.Ram => "ram",
        RegionKind.Rom => "rom",
        RegionKind.RomDevice => "romd",
        RegionKind.RamDevice => "ramd",
        RegionKind.Io => "io",
        RegionKind.Iommu => "iommu",
        _ => "alias",
    };
}
