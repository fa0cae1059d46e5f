using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Oracle.MemoryMap;

/// <summary>
/// Definition-level facts about FlatViews (FV-02..FV-04): validity by pairwise comparison, the
/// address -> (region, offset, attributes) function by linear scan, and simplify by repeatedly merging any
/// mergeable neighbours until none is left.
/// </summary>
public static class FlatViewOracle
{
    /// <summary>Whether the ranges form a valid view: every range non-empty, showing a terminal region (a ROM shows
    /// as read-only RAM) and inside it, every pair
    /// disjoint, sorted by start.</summary>
    /// <param name="ranges">Candidate ranges.</param>
    /// <returns>Whether they are valid.</returns>
    public static bool IsValid(IReadOnlyList<FlatRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        for (int i = 0; i < ranges.Count; i++)
        {
            // A range shows part of one region, which is at most 2^64 long.
            if (ranges[i].Range.Size == 0 || string.IsNullOrEmpty(ranges[i].Region)
                || (UInt128)ranges[i].OffsetInRegion + ranges[i].Range.Size > Verify.MemoryMap.AddressSpace.End
                || ranges[i].Kind is not (RegionKind.Ram or RegionKind.RomDevice or RegionKind.RamDevice or RegionKind.Io or RegionKind.Iommu))
            {
                return false;
            }

            for (int j = i + 1; j < ranges.Count; j++)
            {
                bool disjoint = ranges[i].Range.End <= ranges[j].Range.Start || ranges[j].Range.End <= ranges[i].Range.Start;
                if (!disjoint || ranges[j].Range.Start < ranges[i].Range.Start)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>What <paramref name="address"/> shows in <paramref name="ranges"/>, by linear scan.</summary>
    /// <param name="ranges">A view's ranges.</param>
    /// <param name="address">An address.</param>
    /// <returns>The page, or null.</returns>
    public static PaintedPage? Lookup(IEnumerable<FlatRange> ranges, ulong address)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        foreach (var r in ranges)
        {
            if (address >= r.Range.Start && (UInt128)address < (UInt128)r.Range.Start + r.Range.Size)
            {
                return new PaintedPage(r.Region, r.Kind, r.OffsetInRegion + (address - r.Range.Start), r.ReadOnly, r.NonVolatile,
                    r.Unmergeable, r.RomdMode, r.DirtyLogMask, r.Priority);
            }
        }

        return null;
    }

    /// <summary>QEMU's <c>can_merge</c> transcribed from docs/semantics.md 2.2.</summary>
    /// <param name="r1">The lower range.</param>
    /// <param name="r2">The range directly after it.</param>
    /// <returns>Whether they merge.</returns>
    public static bool Mergeable(FlatRange r1, FlatRange r2) =>
        (UInt128)r1.Range.Start + r1.Range.Size == r2.Range.Start
        && r1.Region == r2.Region
        && r1.Kind == r2.Kind
        && (UInt128)r1.OffsetInRegion + r1.Range.Size == r2.OffsetInRegion
        && r1.DirtyLogMask == r2.DirtyLogMask
        && r1.RomdMode == r2.RomdMode
        && r1.ReadOnly == r2.ReadOnly
        && r1.NonVolatile == r2.NonVolatile
        && !r1.Unmergeable
        && !r2.Unmergeable;

    /// <summary>QEMU's <c>flatrange_equal</c> transcribed from docs/semantics.md 2.2 (no dirty mask).</summary>
    /// <param name="a">A range.</param>
    /// <param name="b">A range.</param>
    /// <returns>Whether a listener sees them as the same range.</returns>
    public static bool Equal(FlatRange a, FlatRange b) =>
        a.Region == b.Region && a.Kind == b.Kind && a.Range.Start == b.Range.Start && a.Range.Size == b.Range.Size
        && a.OffsetInRegion == b.OffsetInRegion && a.RomdMode == b.RomdMode && a.ReadOnly == b.ReadOnly
        && a.NonVolatile == b.NonVolatile && a.Unmergeable == b.Unmergeable;

    /// <summary>Simplify by definition: while some neighbouring pair is mergeable, replace it by one range.</summary>
    /// <param name="ranges">A valid view's ranges.</param>
    /// <returns>The fully merged ranges.</returns>
    public static List<FlatRange> Simplify(IEnumerable<FlatRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = ranges.ToList();
        bool merged = true;
        while (merged)
        {
            merged = false;
            for (int i = 0; i + 1 < list.Count; i++)
            {
                if (Mergeable(list[i], list[i + 1]))
                {
                    list[i] = list[i] with { Range = new AddressRange(list[i].Range.Start, list[i].Range.Size + list[i + 1].Range.Size) };
                    list.RemoveAt(i + 1);
                    merged = true;
                    break;
                }
            }
        }

        return list;
    }
}
