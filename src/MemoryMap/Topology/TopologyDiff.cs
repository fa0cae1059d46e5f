using System.Collections.Immutable;
using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Topology;

/// <summary>
/// QEMU's <c>address_space_update_topology_pass</c>: a merge-walk over the old and new sorted views, run
/// twice. Pass 1 reports <c>region_del</c> for every old range without an equal new range at the same
/// start; pass 2 reports <c>region_nop</c> (plus <c>log_start</c>/<c>log_stop</c> when the dirty mask
/// changed) for equal pairs and <c>region_add</c> for every new range without an equal old one.
/// </summary>
/// <remarks>Each pass is one linear walk, O(n + m). The value form allocates one event per callback; the
/// streaming form (<see cref="Walk"/>) allocates nothing.</remarks>
public static class TopologyDiff
{
    /// <summary>Receives the callbacks of <see cref="Walk"/>.</summary>
    public interface ISink
    {
        /// <summary>One callback.</summary>
        /// <param name="e">The event.</param>
        void On(in TopologyEvent e);
    }

    /// <summary>All callbacks of the update from <paramref name="oldView"/> to <paramref name="newView"/>, nops included.</summary>
    /// <param name="oldView">The view before.</param>
    /// <param name="newView">The view after.</param>
    /// <returns>Deletes first, then nops/log events/adds, each pass in ascending address order.</returns>
    public static ImmutableArray<TopologyEvent> Compute(FlatView oldView, FlatView newView)
    {
        var sink = new CollectingSink(includeNops: true);
        Walk(oldView, newView, ref sink);
        return sink.Events.DrainToImmutable();
    }

    /// <summary>Only the callbacks that change something: deletes, adds and log events, no nops. Allocation is
    /// proportional to the changes, not to the views.</summary>
    /// <param name="oldView">The view before.</param>
    /// <param name="newView">The view after.</param>
    /// <returns>The changes in callback order.</returns>
    public static ImmutableArray<TopologyEvent> Changes(FlatView oldView, FlatView newView)
    {
        var sink = new CollectingSink(includeNops: false);
        Walk(oldView, newView, ref sink);
        return sink.Events.DrainToImmutable();
    }

    /// <summary>The callbacks a listener registered now receives: <c>region_add</c> for every range of
    /// <paramref name="view"/> (QEMU's <c>listener_add_address_space</c>), equal to the adds of a diff from the empty view.</summary>
    /// <param name="view">The current (simplified) view.</param>
    /// <returns>One add per range, ascending.</returns>
    public static ImmutableArray<TopologyEvent> Replay(FlatView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var events = ImmutableArray.CreateBuilder<TopologyEvent>(view.Count);
        foreach (var r in view.Ranges)
        {
            events.Add(new TopologyEvent(TopologyEventKind.Add, r));
        }

        return events.MoveToImmutable();
    }

    /// <summary>Runs both passes, handing every callback to <paramref name="sink"/> in order.</summary>
    /// <typeparam name="TSink">A sink; a struct sink avoids boxing.</typeparam>
    /// <param name="oldView">The view before.</param>
    /// <param name="newView">The view after.</param>
    /// <param name="sink">Receives the callbacks.</param>
    public static void Walk<TSink>(FlatView oldView, FlatView newView, ref TSink sink)
        where TSink : ISink
    {
        ArgumentNullException.ThrowIfNull(oldView);
        ArgumentNullException.ThrowIfNull(newView);
        Pass(oldView.Ranges.AsSpan(), newView.Ranges.AsSpan(), adding: false, ref sink);
        Pass(oldView.Ranges.AsSpan(), newView.Ranges.AsSpan(), adding: true, ref sink);
    }

    private static void Pass<TSink>(ReadOnlySpan<FlatRange> old, ReadOnlySpan<FlatRange> now, bool adding, ref TSink sink)
        where TSink : ISink
    {
        int iold = 0, inew = 0;
        while (iold < old.Length || inew < now.Length)
        {
            if (iold < old.Length
                && (inew >= now.Length
                    || old[iold].Range.Start < now[inew].Range.Start
                    || (old[iold].Range.Start == now[inew].Range.Start && !FlatRange.FlatRangeEqual(old[iold], now[inew]))))
            {
                // In old but not in new, or in both with changed attributes.
                if (!adding)
                {
                    sink.On(new TopologyEvent(TopologyEventKind.Delete, old[iold]));
                }

                iold++;
            }
            else if (iold < old.Length && inew < now.Length && FlatRange.FlatRangeEqual(old[iold], now[inew]))
            {
                // In both and unchanged, except perhaps for dirty logging.
                if (adding)
                {
                    ref readonly var o = ref old[iold];
                    ref readonly var n = ref now[inew];
                    sink.On(new TopologyEvent(TopologyEventKind.Nop, n));
                    if ((n.DirtyLogMask & ~o.DirtyLogMask) != 0)
                    {
                        sink.On(new TopologyEvent(TopologyEventKind.LogStart, n, o.DirtyLogMask, n.DirtyLogMask));
                    }

                    if ((o.DirtyLogMask & ~n.DirtyLogMask) != 0)
                    {
                        sink.On(new TopologyEvent(TopologyEventKind.LogStop, n, o.DirtyLogMask, n.DirtyLogMask));
                    }
                }

                iold++;
                inew++;
            }
            else
            {
                if (adding)
                {
                    sink.On(new TopologyEvent(TopologyEventKind.Add, now[inew]));
                }

                inew++;
            }
        }
    }

    private struct CollectingSink(bool includeNops) : ISink
    {
        public ImmutableArray<TopologyEvent>.Builder Events = ImmutableArray.CreateBuilder<TopologyEvent>();

        public readonly void On(in TopologyEvent e)
        {
            if (includeNops || e.Kind != TopologyEventKind.Nop)
            {
                Events.Add(e);
            }
        }
    }
}
