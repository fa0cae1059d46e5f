using Verify.MemoryMap.Regions;

namespace Verify.Oracle.MemoryMap;

/// <summary>
/// The oracle for render (FV-01, docs/semantics.md 2.1): what one address shows, decided from the rules alone, one address
/// at a time, on the oracle's own <see cref="PlainRegionTree"/>. Children are tried highest priority first and,
/// among equal priorities, the most recently placed first; the first child that shows something at the address
/// wins; a terminal region shows itself, with its own priority, where no child did; a disabled region shows nothing; an alias shows its
/// target at <c>address - aliasStart + offset</c>; read-only, non-volatile and unmergeable are OR-ed down the path.
/// </summary>
/// <remarks>Slow on purpose: O(tree size) per address, no intervals, no sorting of results beyond each region's
/// children.</remarks>
public static class RegionTreePainter
{
    /// <summary>How deep a path may go, counting placements and alias hops (docs/semantics.md 2.1, "nesting limit":
    /// 1024). QEMU has no limit; a real machine nests under twenty. A cycle, too, ends here.</summary>
    public const int MaxDepth = 1024;

    /// <summary>What <paramref name="address"/> shows.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="address">An address.</param>
    /// <returns>The painted page, or null when nothing is there.</returns>
    /// <exception cref="InvalidOperationException">A path is deeper than <see cref="MaxDepth"/> (or a cycle).</exception>
    public static PaintedPage? Resolve(PlainRegionTree tree, ulong address)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return Show(tree, tree.Root, regionStart: 0, address, false, false, false, depth: 0);
    }

    /// <summary>
    /// Every address where what the tree shows may change: where a region reached on any path (through aliases
    /// too) begins or ends, clipped to the windows above it, plus 0. Between two neighbouring boundaries every
    /// address shows the same region at consecutive offsets, so probing each boundary and the byte before it decides
    /// the whole painting.
    /// </summary>
    /// <param name="tree">The tree.</param>
    /// <returns>The boundaries below 2^64, ascending.</returns>
    public static SortedSet<ulong> Boundaries(PlainRegionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var points = new SortedSet<ulong> { 0 };
        Walk(tree, tree.Root, 0, 0, (Int128)ulong.MaxValue + 1, points, 0);
        return points;
    }

    private static void Walk(PlainRegionTree tree, string name, Int128 regionStart, Int128 clipLow, Int128 clipHigh, SortedSet<ulong> points, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"region '{name}' is reached through more than {MaxDepth} levels of placements and aliases (the limit, or a cycle)");
        }

        var region = tree[name];
        Int128 low = Int128.Max(clipLow, regionStart), high = Int128.Min(clipHigh, regionStart + (Int128)region.Size);
        if (low >= high || !region.Enabled)
        {
            return;
        }

        Add(points, low);
        Add(points, high);
        if (region.Kind == RegionKind.Alias)
        {
            Walk(tree, region.AliasTarget!, regionStart - region.AliasOffset, low, high, points, depth + 1);
            return;
        }

        foreach (var child in tree.Children(name))
        {
            Walk(tree, child.Child, regionStart + child.Address, low, high, points, depth + 1);
        }
    }

    private static void Add(SortedSet<ulong> points, Int128 at)
    {
        if (at >= 0 && at <= ulong.MaxValue)
        {
            points.Add((ulong)at);
        }
    }

    // regionStart is where the region's offset 0 lies (may be below 0 for an alias target); the address is
    // inside the region when 0 <= address - regionStart < size.
    private static PaintedPage? Show(PlainRegionTree tree, string name, Int128 regionStart, ulong address,
        bool readOnly, bool nonVolatile, bool unmergeable, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"region '{name}' is reached through more than {MaxDepth} levels of placements and aliases (the limit, or a cycle)");
        }

        var region = tree[name];
        if (!region.Enabled)
        {
            return null;
        }

        Int128 inside = (Int128)address - regionStart;
        if (inside < 0 || inside >= (Int128)region.Size)
        {
            return null;
        }

        // A ROM is read-only through its flag (set by QEMU's rom init, clearable by set_readonly), not by kind.
        readOnly |= region.ReadOnly;
        nonVolatile |= region.NonVolatile;
        unmergeable |= region.Unmergeable;

        if (region.Kind == RegionKind.Alias)
        {
            return Show(tree, region.AliasTarget!, regionStart - region.AliasOffset, address, readOnly, nonVolatile, unmergeable, depth + 1);
        }

        var children = tree.Children(name).ToList();
        children.Sort((a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : b.Stamp.CompareTo(a.Stamp));
        foreach (var child in children)
        {
            var shown = Show(tree, child.Child, regionStart + child.Address, address, readOnly, nonVolatile, unmergeable, depth + 1);
            if (shown is not null)
            {
                return shown;
            }
        }

        if (region.Kind is RegionKind.Container)
        {
            return null;
        }

        return new PaintedPage(
            region.Name,
            region.Kind == RegionKind.Rom ? RegionKind.Ram : region.Kind,
            (ulong)inside,
            readOnly,
            nonVolatile,
            unmergeable,
            region.Kind != RegionKind.RomDevice || region.RomdMode,
            region.DirtyLogMask,
            // The region's own priority, not the path's: through an alias QEMU shows the target's mr->priority.
            tree.PriorityOf(name));
    }
}
