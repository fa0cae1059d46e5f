using Verify.MemoryMap.Regions;

namespace Verify.Oracle.MemoryMap;

/// <summary>
/// The oracle for render (FV-01): what one address shows, decided from SEMANTICS.md 2.1 alone, one address at
/// a time. Children are tried highest priority first and, among equal priorities, the most recently added
/// first; the first child that shows something at the address wins; a terminal region shows itself where no
/// child did; a disabled region shows nothing; an alias shows its target at <c>address - aliasStart + offset</c>;
/// read-only, non-volatile and unmergeable are OR-ed down the path.
/// </summary>
/// <remarks>Slow on purpose: O(tree size) per address, no intervals, no sorting of results. It reads the tree's
/// data (regions, placements, sequence numbers) and re-derives the sibling order itself.</remarks>
public static class RegionTreePainter
{
    /// <summary>Paints every address of <paramref name="addresses"/>.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="addresses">Addresses to paint.</param>
    /// <returns>Address -> what it shows (null: nothing).</returns>
    public static Dictionary<ulong, PaintedPage?> Paint(RegionTree tree, IEnumerable<ulong> addresses)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(addresses);
        var result = new Dictionary<ulong, PaintedPage?>();
        foreach (var a in addresses)
        {
            result[a] = Resolve(tree, a);
        }

        return result;
    }

    /// <summary>What <paramref name="address"/> shows.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="address">An address.</param>
    /// <returns>The painted page, or null when nothing is there.</returns>
    public static PaintedPage? Resolve(RegionTree tree, ulong address)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return Show(tree, tree.Root, regionStart: 0, address, priority: 0, false, false, false, depth: 0);
    }

    // regionStart is where the region's offset 0 lies (may be below 0 for an alias target); the address is
    // inside the region when 0 <= address - regionStart < size.
    private static PaintedPage? Show(RegionTree tree, string name, Int128 regionStart, ulong address, int priority,
        bool readOnly, bool nonVolatile, bool unmergeable, int depth)
    {
        if (depth > 64)
        {
            throw new InvalidOperationException($"region '{name}' is nested more than 64 deep; the tree has a cycle");
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
            return Show(tree, region.AliasTarget!, regionStart - region.AliasOffset, address, 0, readOnly, nonVolatile, unmergeable, depth + 1);
        }

        var children = region.Subregions.ToList();
        children.Sort((a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : b.Sequence.CompareTo(a.Sequence));
        foreach (var child in children)
        {
            var shown = Show(tree, child.Name, regionStart + child.Address, address, child.Priority, readOnly, nonVolatile, unmergeable, depth + 1);
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
            priority);
    }
}
