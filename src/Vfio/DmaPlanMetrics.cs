using System.Collections.Immutable;

namespace Verify.Vfio;

/// <summary>
/// Measures any sequence of ioctls the way <see cref="DmaPlanner"/> reports its own plans, so the naive listener
/// and the coalescing one are compared by one ruler.
/// </summary>
public static class DmaPlanMetrics
{
    /// <summary>
    /// Runs <paramref name="operations"/> on a simulated container holding <paramref name="live"/> and reports the
    /// collateral (bytes whose translation in <paramref name="live"/> equals the one in <paramref name="desired"/> but
    /// that some operation removed), the largest window (ioctls from the removing one to the first one that maps
    /// the page again; a page never mapped again counts to the end of the sequence), live mappings after, and the
    /// peak. Refused calls change nothing in the simulation, as in the kernel.
    /// </summary>
    /// <param name="live">The container's mappings before, ascending and disjoint.</param>
    /// <param name="operations">The ioctls in order.</param>
    /// <param name="desired">The map the sequence is meant to reach.</param>
    /// <param name="backend">The rules the simulation follows (its entry limit only decides
    /// <see cref="DmaPlan.ExceedsEntryLimit"/>; the simulation itself does not refuse past it).</param>
    /// <returns>The sequence as a measured plan.</returns>
    /// <remarks>O(n + m) for the comparison of before and after, plus the operations times the pieces they touch.</remarks>
    public static DmaPlan Measure(IReadOnlyList<DmaMapping> live, IReadOnlyList<DmaOperation> operations, DmaMap desired, DmaBackendTraits backend)
    {
        var run = Simulate(live, operations, desired, backend);
        int largest = 0;
        foreach (var window in WindowsOf(run.Lost, run.Mapped))
        {
            largest = Math.Max(largest, window.Length(operations.Count));
        }

        return new DmaPlan([.. operations], UnionSize(run.Lost), largest, run.LiveAfter, run.Peak, run.Peak > backend.EntryLimit);
    }

    /// <summary>
    /// The DMA windows of <paramref name="operations"/> run on a container holding <paramref name="live"/>, by the same
    /// simulation as <see cref="Measure"/>: each removed piece of unchanged translation, cut where later MAPs restore
    /// parts of it, with the ioctl that removed it and the one that mapped it again.
    /// </summary>
    /// <param name="live">The container's mappings before, ascending and disjoint.</param>
    /// <param name="operations">The ioctls in order.</param>
    /// <param name="desired">The map the sequence is meant to reach.</param>
    /// <param name="backend">The rules the simulation follows.</param>
    /// <returns>The windows, in the order their pages were removed; their bytes add up to
    /// <see cref="DmaPlan.CollateralBytes"/> when no page is removed twice.</returns>
    public static ImmutableArray<CollateralWindow> Windows(IReadOnlyList<DmaMapping> live, IReadOnlyList<DmaOperation> operations, DmaMap desired, DmaBackendTraits backend)
    {
        var run = Simulate(live, operations, desired, backend);
        return [.. WindowsOf(run.Lost, run.Mapped)];
    }

    // Each lost piece, cut where later MAPs restore parts of it; what no later MAP restores stays open to the end.
    private static IEnumerable<CollateralWindow> WindowsOf(List<(AddressRange Range, int At)> lost, List<(AddressRange Range, int At)> mapped)
    {
        var pending = new List<AddressRange>();
        foreach (var (range, at) in lost)
        {
            pending.Clear();
            pending.Add(range);
            foreach (var (m, when) in mapped)
            {
                if (when <= at)
                {
                    continue;
                }

                for (int k = pending.Count - 1; k >= 0; k--)
                {
                    var part = pending[k];
                    var hit = part.Intersect(m);
                    if (hit.IsEmpty)
                    {
                        continue;
                    }

                    pending.RemoveAt(k);
                    yield return new CollateralWindow(hit, at, when);
                    if (part.Start < hit.Start)
                    {
                        pending.Add(AddressRange.FromBounds(part.Start, hit.Start));
                    }

                    if (hit.End < part.End)
                    {
                        pending.Add(AddressRange.FromBounds((ulong)hit.End, part.End));
                    }
                }

                if (pending.Count == 0)
                {
                    break;
                }
            }

            foreach (var open in pending)
            {
                yield return new CollateralWindow(open, at, null);
            }
        }
    }

    private static (List<(AddressRange Range, int At)> Lost, List<(AddressRange Range, int At)> Mapped, int LiveAfter, int Peak) Simulate(
        IReadOnlyList<DmaMapping> live, IReadOnlyList<DmaOperation> operations, DmaMap desired, DmaBackendTraits backend)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(backend);
        var unchanged = Unchanged(live, desired.Mappings);
        var simulator = MappingSet.Simulator(backend with { EntryLimit = int.MaxValue }, live);
        var removed = new List<DmaMapping>();
        var lost = new List<(AddressRange Range, int At)>();
        var mapped = new List<(AddressRange Range, int At)>();
        int peak = live.Count;
        for (int i = 0; i < operations.Count; i++)
        {
            removed.Clear();
            var result = simulator.Apply(operations[i], removed);
            if (!result.Succeeded)
            {
                continue;
            }

            if (operations[i] is DmaOperation.Map m)
            {
                mapped.Add((m.Mapping.Iova, i));
            }

            foreach (var r in removed)
            {
                foreach (var same in Overlapping(unchanged, r.Iova))
                {
                    lost.Add((same, i));
                }
            }

            peak = Math.Max(peak, simulator.Mappings.Count);
        }

        return (lost, mapped, simulator.Mappings.Count, peak);
    }

    // The IOVA ranges whose translation is the same in both lists, ascending.
    private static List<AddressRange> Unchanged(IReadOnlyList<DmaMapping> live, ImmutableArray<DmaMapping> want)
    {
        var same = new List<AddressRange>();
        int j = 0;
        foreach (var l in live)
        {
            while (j < want.Length && want[j].Iova.End <= l.Iova.Start)
            {
                j++;
            }

            for (int k = j; k < want.Length && want[k].Iova.Start < l.Iova.End; k++)
            {
                var overlap = want[k].Iova.Intersect(l.Iova);
                if (!overlap.IsEmpty && DmaPlanner.SameTranslation(l, want[k]))
                {
                    same.Add(overlap);
                }
            }
        }

        return same;
    }

    private static IEnumerable<AddressRange> Overlapping(List<AddressRange> sorted, AddressRange range)
    {
        int lo = SortedRanges.FirstEndingAfter(sorted, range.Start);
        for (int k = lo; k < sorted.Count && sorted[k].Start < range.End; k++)
        {
            var part = sorted[k].Intersect(range);
            if (!part.IsEmpty)
            {
                yield return part;
            }
        }
    }

    private static UInt128 UnionSize(List<(AddressRange Range, int At)> ranges)
    {
        var sorted = ranges.Select(r => r.Range).OrderBy(r => r.Start).ToList();
        UInt128 total = 0;
        UInt128 reached = 0;
        foreach (var r in sorted)
        {
            UInt128 from = UInt128.Max(r.Start, reached);
            if (r.End > from)
            {
                total += r.End - from;
                reached = r.End;
            }
        }

        return total;
    }
}
