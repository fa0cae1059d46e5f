using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Regions;

/// <summary>
/// QEMU's <c>render_memory_region</c> with the same result in O(n log n): regions are visited depth-first
/// in render order (priority, then most recently added), and each terminal region claims the parts of its
/// clipped span that nothing visited before covers. QEMU finds those gaps by scanning and inserting into a
/// sorted array (O(n^2)); here the covered addresses are kept as coalesced intervals in a search tree
/// (<see cref="CoveredIntervals"/>), so a claim costs O(log n + k) expected for the k intervals it swallows,
/// which is O(log n) amortised.
/// </summary>
internal sealed class RegionRenderer
{
    private static readonly Int128 Top = (Int128)AddressSpace.End;

    private readonly RegionTree _tree;
    private readonly CoveredIntervals _covered = new();
    private readonly List<FlatRange> _pieces = [];
    private readonly List<AddressRange> _gaps = [];
    // By reference: a tree hands out one instance per name, and hashing the instance is cheaper than the name.
    private readonly HashSet<MemoryRegion> _path = new(ReferenceEqualityComparer.Instance);

    private RegionRenderer(RegionTree tree) => _tree = tree;

    public static FlatView Render(RegionTree tree)
    {
        var renderer = new RegionRenderer(tree);
        renderer.Visit(tree.Root, address: 0, basePoint: 0, clipStart: 0, clipEnd: Top, false, false, false, depth: 0);
        // Sort the starts with the pieces' indices and gather once: comparing and swapping bare 64-bit keys
        // is several times cheaper than moving whole ranges through a comparer.
        var pieces = CollectionsMarshal.AsSpan(renderer._pieces);
        var starts = new ulong[pieces.Length];
        var order = new int[pieces.Length];
        for (int i = 0; i < pieces.Length; i++)
        {
            starts[i] = pieces[i].Range.Start;
            order[i] = i;
        }

        Array.Sort(starts, order);
        var sorted = new FlatRange[pieces.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            sorted[i] = pieces[order[i]];
        }

        return FlatView.CreateTrusted(ImmutableCollectionsMarshal.AsImmutableArray(sorted));
    }

    // basePoint is signed: an alias at a low address with a large offset puts its target's origin below 0,
    // exactly as QEMU's Int128 base goes negative.
    private void Visit(string name, ulong address, Int128 basePoint, Int128 clipStart, Int128 clipEnd,
        bool readOnly, bool nonVolatile, bool unmergeable, int depth)
    {
        if (depth > RegionTree.MaxNesting)
        {
            throw new InvalidOperationException($"region '{name}' is reached through more than {RegionTree.MaxNesting} levels of placements and aliases; a region tree nests at most {RegionTree.MaxNesting}");
        }

        var region = _tree[name];
        if (!region.Enabled)
        {
            return;
        }

        basePoint += address;
        readOnly |= region.ReadOnly;
        nonVolatile |= region.NonVolatile;
        unmergeable |= region.Unmergeable;
        Int128 start = Int128.Max(basePoint, clipStart);
        Int128 end = Int128.Min(basePoint + (Int128)region.Size, clipEnd);
        if (end <= start)
        {
            return;
        }

        if (!_path.Add(region))
        {
            throw new InvalidOperationException($"region '{name}' contains itself through placements or aliases; a region tree must be acyclic");
        }

        if (region.Kind == RegionKind.Alias)
        {
            // The target renders as if placed at base - alias_offset (QEMU subtracts the target's own
            // address too, which its own visit adds back, so placing the target elsewhere changes nothing).
            Visit(region.AliasTarget!, 0, basePoint - region.AliasOffset, start, end, readOnly, nonVolatile, unmergeable, depth + 1);
        }
        else
        {
            foreach (var child in region.Subregions)
            {
                Visit(child.Name, child.Address, basePoint, start, end, readOnly, nonVolatile, unmergeable, depth + 1);
            }

            if (region.Terminates)
            {
                Claim(region, basePoint, (ulong)start, (UInt128)end, readOnly, nonVolatile, unmergeable);
            }
        }

        _path.Remove(region);
    }

    private void Claim(MemoryRegion region, Int128 basePoint, ulong start, UInt128 end, bool readOnly, bool nonVolatile, bool unmergeable)
    {
        var kind = region.Kind == RegionKind.Rom ? RegionKind.Ram : region.Kind;
        var template = new FlatRange(default, region.Name, kind, 0, readOnly, nonVolatile,
            region.Kind != RegionKind.RomDevice || region.RomdMode, region.DirtyLogMask, unmergeable, region.Priority);
        // One list of gaps for the whole render: claims are many and most fill one or two gaps.
        _gaps.Clear();
        _covered.ClaimGaps(start, end, _gaps);
        foreach (var gap in _gaps)
        {
            _pieces.Add(template with { Range = gap, OffsetInRegion = (ulong)((Int128)gap.Start - basePoint) });
        }
    }
}
