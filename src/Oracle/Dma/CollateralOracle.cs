using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Oracle.Dma;

/// <summary>
/// Collateral by definition (docs/semantics.md 3): bytes whose translation is the same before and after an update but
/// that are unmapped at some moment in between. Computed over elementary cells: every start and end of every
/// mapping, operation and view cuts the space, so inside one cell everything is uniform and one address speaks
/// for all of it. Also the minimum collateral a type1 container with a given history must suffer, by brute force
/// over which live mappings to remove.
/// </summary>
public static class CollateralOracle
{
    /// <summary>What executing a plan on a history costs.</summary>
    /// <param name="CollateralBytes">Bytes unmapped at some moment whose translation before equals the translation after.</param>
    /// <param name="LargestWindow">Most ioctls from a collateral byte's unmap to its map (0 without collateral).</param>
    /// <param name="PeakLive">Most live mappings at any moment.</param>
    public sealed record Execution(UInt128 CollateralBytes, int LargestWindow, int PeakLive);

    /// <summary>Replays the operations on a ledger and measures collateral and windows.</summary>
    /// <param name="history">Live mappings before.</param>
    /// <param name="operations">The plan.</param>
    /// <param name="before">Expected translation before (usually the history itself).</param>
    /// <param name="after">Expected translation after.</param>
    /// <param name="traits">Backend rules.</param>
    /// <param name="extraCuts">More points where the translations may change (the views' range ends).</param>
    /// <returns>The measurement.</returns>
    public static Execution Measure(
        IReadOnlyList<DmaMapping> history, IReadOnlyList<DmaOperation> operations,
        Func<ulong, DmaTranslation?> before, Func<ulong, DmaTranslation?> after, DmaBackendTraits traits, IEnumerable<UInt128>? extraCuts = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var ledger = new Type1Ledger(traits, history);
        var states = new List<List<DmaMapping>>();
        states.Add([.. history]);
        foreach (var op in operations)
        {
            ledger.Apply(op);
            states.Add([.. ledger.Mappings]);
        }

        var cuts = Cuts(states.SelectMany(s => s).Concat(operations.OfType<DmaOperation.Map>().Select(m => m.Mapping)),
            operations.OfType<DmaOperation.Unmap>().Select(u => u.Iova), extraCuts);
        UInt128 collateral = 0;
        int window = 0;
        for (int c = 0; c + 1 < cuts.Count; c++)
        {
            ulong at = (ulong)cuts[c];
            var was = before(at);
            if (was is null || was != after(at))
            {
                continue;
            }

            // A byte that keeps its translation: find the moments it has none.
            int? gapStart = null;
            bool lost = false;
            for (int step = 0; step < states.Count; step++)
            {
                bool present = DmaVisibilityOracle.Lookup(states[step], at) == was;
                if (!present && gapStart is null)
                {
                    gapStart = step;
                    lost = true;
                }
                else if (present && gapStart is { } g)
                {
                    window = Math.Max(window, step - g);
                    gapStart = null;
                }
            }

            if (lost)
            {
                collateral += cuts[c + 1] - cuts[c];
            }
        }

        return new Execution(collateral, window, states.Max(s => s.Count));
    }

    /// <summary>
    /// The least collateral a type1 container holding <paramref name="history"/> must suffer to reach
    /// <paramref name="after"/>: every subset of mappings to remove is tried; a subset is feasible when every kept
    /// mapping already translates as <paramref name="after"/> says everywhere (a kept mapping cannot be changed or
    /// cut); its cost is the bytes of removed mappings whose translation does not change.
    /// </summary>
    /// <param name="history">Live mappings (at most 14: the search is exponential).</param>
    /// <param name="after">Expected translation after.</param>
    /// <param name="extraCuts">More points where <paramref name="after"/> may change (the new view's range ends).</param>
    /// <returns>The minimum, in bytes.</returns>
    public static UInt128 MinimumType1Collateral(IReadOnlyList<DmaMapping> history, Func<ulong, DmaTranslation?> after, IEnumerable<UInt128> extraCuts)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(after);
        if (history.Count > 14)
        {
            throw new ArgumentOutOfRangeException(nameof(history), history.Count, "brute force needs at most 14 mappings");
        }

        var cuts = Cuts(history, [], extraCuts);
        var cost = new UInt128[history.Count];
        var correct = new bool[history.Count];
        for (int i = 0; i < history.Count; i++)
        {
            correct[i] = true;
            for (int c = 0; c + 1 < cuts.Count; c++)
            {
                ulong at = (ulong)cuts[c];
                if (!history[i].Iova.Contains(at))
                {
                    continue;
                }

                bool same = after(at) == DmaVisibilityOracle.Lookup([history[i]], at);
                correct[i] &= same;
                if (same)
                {
                    cost[i] += cuts[c + 1] - cuts[c];
                }
            }
        }

        UInt128 best = UInt128.MaxValue;
        for (int subset = 0; subset < 1 << history.Count; subset++)
        {
            UInt128 total = 0;
            bool feasible = true;
            for (int i = 0; i < history.Count && feasible; i++)
            {
                bool removed = (subset & (1 << i)) != 0;
                feasible = removed || correct[i];
                total += removed ? cost[i] : 0;
            }

            if (feasible && total < best)
            {
                best = total;
            }
        }

        return best;
    }

    /// <summary>The range starts and ends of a view, and both rounded to the host page (where a section's mapped
    /// interior begins and ends), as cut points for the other members.</summary>
    /// <param name="view">A view.</param>
    /// <param name="hostPageSize">The listener's host page size.</param>
    /// <returns>Its boundaries.</returns>
    public static IEnumerable<UInt128> Boundaries(FlatView view, ulong hostPageSize)
    {
        ArgumentNullException.ThrowIfNull(view);
        foreach (var r in view.Ranges)
        {
            UInt128 start = r.Range.Start, end = (UInt128)r.Range.Start + r.Range.Size;
            yield return start;
            yield return end;
            yield return (start + hostPageSize - 1) / hostPageSize * hostPageSize;
            yield return end / hostPageSize * hostPageSize;
        }
    }

    private static List<UInt128> Cuts(IEnumerable<DmaMapping> mappings, IEnumerable<AddressRange> ranges, IEnumerable<UInt128>? extra)
    {
        var set = new SortedSet<UInt128> { 0, AddressSpace.End };
        foreach (var m in mappings)
        {
            set.Add(m.Iova.Start);
            set.Add((UInt128)m.Iova.Start + m.Iova.Size);
        }

        foreach (var r in ranges)
        {
            set.Add(r.Start);
            set.Add((UInt128)r.Start + r.Size);
        }

        foreach (var e in extra ?? [])
        {
            set.Add(e);
        }

        return [.. set];
    }
}
