using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Topology;

/// <summary>
/// QEMU's <c>address_space_update_topology_pass</c>: a merge-walk over the old and new sorted views, run
/// twice. Pass 1 reports <c>region_del</c> for every old range without an equal new range at the same
/// start; pass 2 reports <c>region_nop</c> (plus <c>log_start</c>/<c>log_stop</c> when the dirty mask
/// changed) for equal pairs and <c>region_add</c> for every new range without an equal old one.
/// </summary>
/// <remarks>Each pass is one linear walk, O(n + m). The value form allocates one event per callback; the
/// streaming form (<see cref="Walk"/>) allocates nothing but two bits per new range, borrowed from the shared
/// array pool.</remarks>
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
        ArgumentNullException.ThrowIfNull(oldView);
        ArgumentNullException.ThrowIfNull(newView);

        // With nops the result is as large as the views: count first and fill an array of the exact size,
        // rather than grow builders to twice that and copy.
        var counter = new Counter();
        Steps(oldView.Ranges.AsSpan(), newView.Ranges.AsSpan(), ref counter);
        var events = new TopologyEvent[counter.Deletes + counter.Later];
        var filler = new Filler(events, counter.Deletes);
        Steps(oldView.Ranges.AsSpan(), newView.Ranges.AsSpan(), ref filler);
        return ImmutableCollectionsMarshal.AsImmutableArray(events);
    }

    /// <summary>Only the callbacks that change something: deletes, adds and log events, no nops. Allocation is
    /// proportional to the changes, not to the views.</summary>
    /// <param name="oldView">The view before.</param>
    /// <param name="newView">The view after.</param>
    /// <returns>The changes in callback order.</returns>
    public static ImmutableArray<TopologyEvent> Changes(FlatView oldView, FlatView newView)
    {
        ArgumentNullException.ThrowIfNull(oldView);
        ArgumentNullException.ThrowIfNull(newView);
        var collector = new Collector();
        Steps(oldView.Ranges.AsSpan(), newView.Ranges.AsSpan(), ref collector);
        return collector.ToImmutable();
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
        var now = newView.Ranges.AsSpan();

        // Pass 1 compares every pair; besides reporting the deletes it marks which new ranges are kept and
        // which of those changed their dirty mask, so that pass 2 reads only the new view (and an old range
        // only where a log event needs its mask). The marks come from the shared pool and go back to it.
        int words = (now.Length + 63) >> 6;
        ulong[] marks = ArrayPool<ulong>.Shared.Rent(2 * words);
        try
        {
            var kept = marks.AsSpan(0, words);
            var maskChanged = marks.AsSpan(words, words);
            kept.Clear();
            maskChanged.Clear();
            var deleting = new DeletingPass<TSink>(ref sink, kept, maskChanged);
            Steps(oldView.Ranges.AsSpan(), now, ref deleting);

            for (int i = 0; i < now.Length; i++)
            {
                ref readonly var n = ref now[i];
                ulong bit = 1UL << i;
                if ((kept[i >> 6] & bit) == 0)
                {
                    sink.On(new TopologyEvent(TopologyEventKind.Add, n));
                }
                else if ((maskChanged[i >> 6] & bit) == 0)
                {
                    sink.On(new TopologyEvent(TopologyEventKind.Nop, n));
                }
                else
                {
                    // A kept pair has equal ranges, so the old range starts where the new one does.
                    OnKept(oldView[oldView.IndexOf(n.Range.Start)], n, includeNop: true, ref sink);
                }
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(marks);
        }
    }

    /// <summary>QEMU's merge-walk, which both passes take step for step: each step is an old range alone
    /// (deleted), an equal pair (kept) or a new range alone (added), in ascending address order. An old and a
    /// new range at the same start that are not equal are two steps, the old one first.</summary>
    private static void Steps<TStep>(ReadOnlySpan<FlatRange> old, ReadOnlySpan<FlatRange> now, ref TStep step)
        where TStep : IStep, allows ref struct
    {
        int iold = 0, inew = 0;
        while (iold < old.Length && inew < now.Length)
        {
            ref readonly var o = ref old[iold];
            ref readonly var n = ref now[inew];
            if (o.Range.Start > n.Range.Start)
            {
                step.Added(n);
                inew++;
            }
            else if (o.Range.Start == n.Range.Start && FlatRange.FlatRangeEqual(o, n))
            {
                step.Kept(o, n, inew);
                iold++;
                inew++;
            }
            else
            {
                // Before the new range, or at its start with changed attributes.
                step.Deleted(o);
                iold++;
            }
        }

        for (; iold < old.Length; iold++)
        {
            step.Deleted(old[iold]);
        }

        for (; inew < now.Length; inew++)
        {
            step.Added(now[inew]);
        }
    }

    /// <summary>The callbacks pass 2 makes for an equal pair: a nop, then log_start and log_stop as the
    /// dirty mask gained and lost bits.</summary>
    private static void OnKept<TSink>(in FlatRange o, in FlatRange n, bool includeNop, ref TSink sink)
        where TSink : ISink, allows ref struct
    {
        if (includeNop)
        {
            sink.On(new TopologyEvent(TopologyEventKind.Nop, n));
        }

        if ((n.DirtyLogMask & ~o.DirtyLogMask) != 0)
        {
            sink.On(new TopologyEvent(TopologyEventKind.LogStart, n, o.DirtyLogMask, n.DirtyLogMask));
        }

        if ((o.DirtyLogMask & ~n.DirtyLogMask) != 0)
        {
            sink.On(new TopologyEvent(TopologyEventKind.LogStop, n, o.DirtyLogMask, n.DirtyLogMask));
        }
    }

    private interface IStep
    {
        void Deleted(in FlatRange o);

        void Kept(in FlatRange o, in FlatRange n, int newIndex);

        void Added(in FlatRange n);
    }

    /// <summary>Pass 1: reports deletes, and marks kept new ranges and those whose dirty mask changed.</summary>
    private ref struct DeletingPass<TSink>(ref TSink sink, Span<ulong> kept, Span<ulong> maskChanged) : IStep
        where TSink : ISink
    {
        private readonly ref TSink _sink = ref sink;
        private readonly Span<ulong> _kept = kept;
        private readonly Span<ulong> _maskChanged = maskChanged;

        public readonly void Deleted(in FlatRange o) => _sink.On(new TopologyEvent(TopologyEventKind.Delete, o));

        public readonly void Kept(in FlatRange o, in FlatRange n, int newIndex)
        {
            _kept[newIndex >> 6] |= 1UL << newIndex;
            if (o.DirtyLogMask != n.DirtyLogMask)
            {
                _maskChanged[newIndex >> 6] |= 1UL << newIndex;
            }
        }

        public readonly void Added(in FlatRange n)
        {
        }
    }

    /// <summary>Both passes in one walk, without nops: the steps are the same in both passes, so the deletes
    /// (pass 1) and the log events and adds (pass 2) are collected side by side and joined, which reads each
    /// view once and allocates in proportion to the changes.</summary>
    private struct Collector() : IStep, ISink
    {
        private readonly ImmutableArray<TopologyEvent>.Builder _deletes = ImmutableArray.CreateBuilder<TopologyEvent>();
        private readonly ImmutableArray<TopologyEvent>.Builder _later = ImmutableArray.CreateBuilder<TopologyEvent>();

        public readonly void Deleted(in FlatRange o) => _deletes.Add(new TopologyEvent(TopologyEventKind.Delete, o));

        public void Kept(in FlatRange o, in FlatRange n, int newIndex) => OnKept(o, n, includeNop: false, ref this);

        public readonly void Added(in FlatRange n) => _later.Add(new TopologyEvent(TopologyEventKind.Add, n));

        // Receives the log events OnKept reports for a kept pair.
        public readonly void On(in TopologyEvent e) => _later.Add(e);

        public readonly ImmutableArray<TopologyEvent> ToImmutable()
        {
            var events = ImmutableArray.CreateBuilder<TopologyEvent>(_deletes.Count + _later.Count);
            events.AddRange(_deletes);
            events.AddRange(_later);
            return events.MoveToImmutable();
        }
    }

    /// <summary>Counts what pass 1 and pass 2 report, nops included.</summary>
    private struct Counter : IStep
    {
        public int Deletes;
        public int Later;

        public void Deleted(in FlatRange o) => Deletes++;

        public void Kept(in FlatRange o, in FlatRange n, int newIndex) =>
            Later += 1 + ((n.DirtyLogMask & ~o.DirtyLogMask) != 0 ? 1 : 0) + ((o.DirtyLogMask & ~n.DirtyLogMask) != 0 ? 1 : 0);

        public void Added(in FlatRange n) => Later++;
    }

    /// <summary>Writes both passes, nops included, into an array sized by <see cref="Counter"/>: deletes
    /// from the front, the rest after them.</summary>
    private struct Filler(TopologyEvent[] events, int deletes) : IStep, ISink
    {
        private int _nextDelete;
        private int _nextLater = deletes;

        public void Deleted(in FlatRange o) => events[_nextDelete++] = new TopologyEvent(TopologyEventKind.Delete, o);

        public void Kept(in FlatRange o, in FlatRange n, int newIndex) => OnKept(o, n, includeNop: true, ref this);

        public void Added(in FlatRange n) => events[_nextLater++] = new TopologyEvent(TopologyEventKind.Add, n);

        public void On(in TopologyEvent e) => events[_nextLater++] = e;
    }
}
