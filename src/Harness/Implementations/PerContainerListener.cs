using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Harness.Implementations;

/// <summary>
/// A user's listener as the scenario runner drives a planning listener: one <see cref="IContainerListener"/> per
/// container, as QEMU registers one <c>MemoryListener</c> per <c>VFIOContainer</c>. Every commit goes to each
/// container's listener; its answer is measured by <see cref="DmaPlanMetrics.Measure"/> (the ruler the library's own
/// plans are measured by) and executed against the container, so the DL checks judge it exactly as they judge
/// <see cref="CoalescingListener"/>.
/// </summary>
/// <param name="options">The address space's section rules.</param>
/// <param name="create">Creates the listener of one container.</param>
internal sealed class PerContainerListener(DmaOptions options, Func<ContainerTraits, IContainerListener> create) : IPlanningListener
{
    private readonly List<TopologyEvent> _callbacks = [];
    private readonly List<(IDmaBackend Container, IContainerListener Listener)> _containers = [];
    private readonly Dictionary<IDmaBackend, DmaPlan> _lastPlans = new(ReferenceEqualityComparer.Instance);
    private readonly List<ListenerFailure> _failures = [];
    private FlatView _view = FlatView.Empty;
    private int _transaction;

    public FlatView? UnsimplifiedHint
    {
        set { }
    }

    public IReadOnlyDictionary<IDmaBackend, DmaPlan> LastPlans => _lastPlans;

    public IReadOnlyList<ListenerFailure> Failures => _failures;

    public DmaPlan AddContainer(IDmaBackend container)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (_containers.Any(c => ReferenceEquals(c.Container, container)))
        {
            throw new InvalidOperationException($"container {container.Name} is already added");
        }

        var listener = create(new ContainerTraits(options, container.Traits));
        _containers.Add((container, listener));
        _transaction++;

        // memory_listener_register -> listener_add_address_space: begin, a region_add per range, commit (docs/semantics.md
        // 2.3: the replay is the diff from an empty view).
        var replay = _view.Ranges.Select(range => new TopologyEvent(TopologyEventKind.Add, range)).ToList();

        return PlanAndApply(container, listener, replay);
    }

    public DmaPlan RemoveContainer(IDmaBackend container)
    {
        ArgumentNullException.ThrowIfNull(container);
        int index = _containers.FindIndex(c => ReferenceEquals(c.Container, container));
        if (index < 0)
        {
            throw new InvalidOperationException($"container {container.Name} is not a container of this listener");
        }

        // QEMU closes the container; the kernel drops every mapping. The listener issues nothing, so the close is
        // the harness's, shaped as the library's listener shapes it.
        var listener = _containers[index].Listener;
        _containers.RemoveAt(index);
        _lastPlans.Remove(container);
        listener.Dispose();
        _transaction++;
        var live = container.Mappings.ToList();
        if (live.Count == 0)
        {
            return DmaPlan.Empty;
        }

        List<DmaOperation> close = container.Traits.SupportsUnmapAll ? [new DmaOperation.UnmapAll()] : [.. live.Select(m => new DmaOperation.Unmap(m.Iova))];
        var plan = DmaPlanMetrics.Measure(live, close, DmaMap.Empty, container.Traits);
        Execute(container, plan);
        return plan;
    }

    public void Begin() => _callbacks.Clear();

    public void RegionDel(in FlatRange range) => _callbacks.Add(new TopologyEvent(TopologyEventKind.Delete, range));

    public void RegionNop(in FlatRange range) => _callbacks.Add(new TopologyEvent(TopologyEventKind.Nop, range));

    public void RegionAdd(in FlatRange range) => _callbacks.Add(new TopologyEvent(TopologyEventKind.Add, range));

    public void LogStart(in FlatRange range, byte oldMask, byte newMask) => _callbacks.Add(new TopologyEvent(TopologyEventKind.LogStart, range, oldMask, newMask));

    public void LogStop(in FlatRange range, byte oldMask, byte newMask) => _callbacks.Add(new TopologyEvent(TopologyEventKind.LogStop, range, oldMask, newMask));

    public void Commit()
    {
        _view = ViewAfter(_view, _callbacks);
        _transaction++;
        var callbacks = _callbacks.ToArray();
        _callbacks.Clear();
        foreach (var (container, listener) in _containers)
        {
            PlanAndApply(container, listener, callbacks);
        }
    }

    private DmaPlan PlanAndApply(IDmaBackend container, IContainerListener listener, IReadOnlyList<TopologyEvent> callbacks)
    {
        var before = container.Mappings.ToList();
        var answer = listener.Commit(callbacks);

        // The plan says it exceeds the entry limit exactly when the listener refused it (DL-07 compares that with the
        // measured peak); a plan it did not refuse is executed whatever its peak, and the container refuses past it.
        var plan = DmaPlanMetrics.Measure(before, answer.Calls.IsDefault ? [] : answer.Calls, DmaMap.Of(_view, options), container.Traits)
            with
        { ExceedsEntryLimit = answer.Refused };
        _lastPlans[container] = plan;
        if (!answer.Refused)
        {
            Execute(container, plan);
        }

        return plan;
    }

    private void Execute(IDmaBackend container, DmaPlan plan)
    {
        foreach (var op in plan.Operations)
        {
            var result = op switch
            {
                DmaOperation.Map m => container.Map(m.Mapping),
                DmaOperation.Unmap u => container.Unmap(u.Iova),
                _ => container.UnmapAll(),
            };
            if (!result.Succeeded)
            {
                _failures.Add(new ListenerFailure(_transaction, container.Name, op, result));
            }
        }
    }

    // The view the callbacks lead to: the harness's own account, so the DMA-visible map a plan is measured against
    // never depends on the listener under test.
    private static FlatView ViewAfter(FlatView old, IReadOnlyList<TopologyEvent> callbacks)
    {
        if (callbacks.Count == 0)
        {
            return old;
        }

        var ranges = new SortedDictionary<ulong, FlatRange>();
        foreach (var r in old.Ranges)
        {
            ranges.Add(r.Range.Start, r);
        }

        foreach (var e in callbacks)
        {
            switch (e.Kind)
            {
                case TopologyEventKind.Delete:
                    ranges.Remove(e.Range.Range.Start);
                    break;
                case TopologyEventKind.Nop or TopologyEventKind.Add:
                    ranges[e.Range.Range.Start] = e.Range;
                    break;
                default:
                    break;
            }
        }

        return FlatView.Create(ranges.Values);
    }
}
