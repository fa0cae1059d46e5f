using Verify.MemoryMap.Flat;

namespace Verify.Oracle.MemoryMap;

/// <summary>
/// The topology diff by definition (set semantics, docs/semantics.md 2.3): an old range is deleted when no new range
/// is equal to it, kept (nop) when one is; a new range is added when no old range is equal to it. Dirty-mask
/// changes of kept ranges are log starts (bits gained) and log stops (bits lost).
/// </summary>
public static class TopologyOracle
{
    /// <summary>The expected outcome of an update.</summary>
    /// <param name="Deleted">Old ranges without an equal new range.</param>
    /// <param name="Kept">Pairs (old, new) of equal ranges.</param>
    /// <param name="Added">New ranges without an equal old range.</param>
    public sealed record Expected(List<FlatRange> Deleted, List<(FlatRange Old, FlatRange New)> Kept, List<FlatRange> Added);

    /// <summary>Computes the expected outcome by comparing every old range with every new range.</summary>
    /// <param name="oldRanges">Ranges before.</param>
    /// <param name="newRanges">Ranges after.</param>
    /// <returns>The expectation.</returns>
    public static Expected Diff(IReadOnlyList<FlatRange> oldRanges, IReadOnlyList<FlatRange> newRanges)
    {
        ArgumentNullException.ThrowIfNull(oldRanges);
        ArgumentNullException.ThrowIfNull(newRanges);
        var deleted = new List<FlatRange>();
        var kept = new List<(FlatRange, FlatRange)>();
        foreach (var o in oldRanges)
        {
            var match = newRanges.Where(n => FlatViewOracle.Equal(o, n)).ToList();
            if (match.Count == 0)
            {
                deleted.Add(o);
            }
            else
            {
                kept.Add((o, match[0]));
            }
        }

        var added = newRanges.Where(n => !oldRanges.Any(o => FlatViewOracle.Equal(o, n))).ToList();
        return new Expected(deleted, kept, added);
    }
}
