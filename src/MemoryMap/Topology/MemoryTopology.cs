using System.Collections.Immutable;
using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Topology;

/// <summary>
/// One address space as its listeners see it (QEMU's <c>AddressSpace</c> plus its listener list): the current
/// view, and the dispatch of each transaction's diff to every listener between <c>begin</c> and <c>commit</c>.
/// </summary>
/// <remarks>Not thread-safe: like QEMU's BQL-protected topology, one caller commits at a time.
/// The views it holds are immutable.</remarks>
public sealed class MemoryTopology
{
    private ImmutableArray<IMemoryListener> _listeners = [];

    /// <summary>Creates an address space showing <paramref name="initial"/>.</summary>
    /// <param name="initial">The starting view; <see cref="FlatView.Empty"/> when null.</param>
    public MemoryTopology(FlatView? initial = null) => Current = initial ?? FlatView.Empty;

    /// <summary>The view the listeners have been told about.</summary>
    public FlatView Current { get; private set; }

    /// <summary>Registers a listener late: it gets begin, a <c>region_add</c> for every current range, commit.</summary>
    /// <param name="listener">The listener.</param>
    public void Register(IMemoryListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        _listeners = [.. _listeners.Add(listener).OrderBy(l => l.Priority)];
        listener.Begin();
        foreach (var e in TopologyDiff.Replay(Current))
        {
            listener.RegionAdd(e.Range);
        }

        listener.Commit();
    }

    /// <summary>Removes a listener; it gets a <c>region_del</c> for every current range first, as QEMU's
    /// <c>listener_del_address_space</c> does.</summary>
    /// <param name="listener">A registered listener.</param>
    public void Unregister(IMemoryListener listener)
    {
        Preconditions.CheckState(_listeners.Contains(listener), "the listener is not registered");
        listener.Begin();
        foreach (var r in Current.Ranges)
        {
            listener.RegionDel(r);
        }

        listener.Commit();
        _listeners = _listeners.Remove(listener);
    }

    /// <summary>Commits a transaction whose result is <paramref name="newView"/>: every listener gets
    /// begin, the diff's callbacks and commit. Deletes go to listeners in reverse priority order, the rest forward.</summary>
    /// <param name="newView">The view after the transaction (simplified, as QEMU renders it).</param>
    /// <returns>The events of the diff, nops included.</returns>
    public ImmutableArray<TopologyEvent> Commit(FlatView newView)
    {
        ArgumentNullException.ThrowIfNull(newView);
        var events = TopologyDiff.Compute(Current, newView);
        foreach (var l in _listeners)
        {
            l.Begin();
        }

        foreach (var e in events)
        {
            if (e.Kind is TopologyEventKind.Delete or TopologyEventKind.LogStop)
            {
                for (int i = _listeners.Length - 1; i >= 0; i--)
                {
                    Deliver(_listeners[i], e);
                }
            }
            else
            {
                foreach (var l in _listeners)
                {
                    Deliver(l, e);
                }
            }
        }

        Current = newView;
        foreach (var l in _listeners)
        {
            l.Commit();
        }

        return events;
    }

    private static void Deliver(IMemoryListener listener, in TopologyEvent e)
    {
        switch (e.Kind)
        {
            case TopologyEventKind.Delete: listener.RegionDel(e.Range); break;
            case TopologyEventKind.Nop: listener.RegionNop(e.Range); break;
            case TopologyEventKind.Add: listener.RegionAdd(e.Range); break;
            case TopologyEventKind.LogStart: listener.LogStart(e.Range, e.OldLogMask, e.NewLogMask); break;
            default: listener.LogStop(e.Range, e.OldLogMask, e.NewLogMask); break;
        }
    }
}
