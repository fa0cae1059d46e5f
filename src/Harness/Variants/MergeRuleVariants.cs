using Verify.Harness.Implementations;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Variants;

/// <summary>
/// Broken simplifies for FV-03 and FV-04: a plain left-to-right <c>flatview_simplify</c> whose merge rule is the
/// model's <see cref="FlatRange.CanMerge"/> shown a right neighbour with one field made to match.
/// </summary>
public static class MergeRuleVariants
{
    /// <summary><c>can_merge</c> forgets that the second range must continue the first one's offset in the region,
    /// so two pieces of one region that are adjacent in the address space but not in the region merge (an alias
    /// over the same RAM at two offsets).</summary>
    public static MemoryMapImplementation OffsetCheckForgotten { get; } = Merging("can_merge forgets the offset check",
        (a, b) => FlatRange.CanMerge(a, b with { OffsetInRegion = unchecked(a.OffsetInRegion + (ulong)a.Range.Size) }));

    /// <summary><c>can_merge</c> forgets to compare read-only, so a read-only piece merges into its writable
    /// neighbour (QEMU: a ROM-mode PAM segment next to RAM).</summary>
    public static MemoryMapImplementation ReadOnlyForgotten { get; } = Merging("can_merge forgets read-only",
        (a, b) => FlatRange.CanMerge(a, b with { ReadOnly = a.ReadOnly }));

    /// <summary><c>can_merge</c> checks only the left range's unmergeable flag, so a range merges into an
    /// unmergeable right neighbour (<c>memory_region_set_unmergeable</c>, added for virtio-mem memslots).</summary>
    public static MemoryMapImplementation UnmergeableRightNeighbourMerged { get; } = Merging("unmergeable right neighbour merged",
        (a, b) => FlatRange.CanMerge(a, b with { Unmergeable = false }));

    private static MemoryMapImplementation Merging(string name, Func<FlatRange, FlatRange, bool> canMerge) =>
        MemoryMapImplementation.Model with { Name = name, Simplify = view => Simplify(view, canMerge) };

    private static FlatView Simplify(FlatView view, Func<FlatRange, FlatRange, bool> canMerge)
    {
        var merged = new List<FlatRange>(view.Count);
        foreach (var r in view.Ranges)
        {
            if (merged.Count > 0 && canMerge(merged[^1], r))
            {
                var last = merged[^1];
                merged[^1] = last with { Range = new AddressRange(last.Range.Start, last.Range.Size + r.Range.Size) };
            }
            else
            {
                merged.Add(r);
            }
        }

        return FlatView.Create(merged);
    }
}
