using Verify.Harness.Implementations;
using Verify.IommuModel.Backends;
using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Harness.Variants;

/// <summary>
/// A small re-implementation of the coalescing listener (history per container, <see cref="DmaPlanner"/> at every
/// commit, plans over the entry limit not applied) with one <see cref="ListenerFlaw"/>, driven by the same callbacks
/// as the library's: the scenario runner registers it in place of the library's listener.
/// </summary>
/// <param name="options">The vfio section rules.</param>
/// <param name="plan">Granularity and granule.</param>
/// <param name="flaw">Its bug.</param>
public sealed class FlawedCoalescingListener(DmaOptions options, PlanOptions plan, ListenerFlaw flaw) : IPlanningListener
{
    private readonly List<(IDmaBackend Container, MappingSetBackend History)> _containers = [];
    private readonly Dictionary<IDmaBackend, DmaPlan> _lastPlans = new(ReferenceEqualityComparer.Instance);
    private readonly List<ListenerFailure> _failures = [];
    private readonly List<FlatRange> _deleted = [], _kept = [], _added = [];
    private FlatView _view = FlatView.Empty;
    private DmaMap _map = DmaMap.Empty;
    private IReadOnlyList<DmaMapping> _previous = [];
    private IReadOnlyList<ulong> _splitPoints = [];

    /// <summary>The listener as an implementation's factory takes it.</summary>
    /// <param name="flaw">Its bug.</param>
    /// <returns>The factory.</returns>
    public static Func<DmaOptions, PlanOptions, IPlanningListener> Factory(ListenerFlaw flaw) => (o, p) => new FlawedCoalescingListener(o, p, flaw);

    /// <inheritdoc/>
    public FlatView? UnsimplifiedHint { private get; set; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<IDmaBackend, DmaPlan> LastPlans => _lastPlans;

    /// <inheritdoc/>
    public IReadOnlyList<ListenerFailure> Failures => _failures;

    /// <inheritdoc/>
    public DmaPlan AddContainer(IDmaBackend container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var history = new MappingSetBackend($"{container.Name} history", container.Traits with { EntryLimit = int.MaxValue });
        _containers.Add((container, history));
        var replay = flaw == ListenerFlaw.NoReplayOnHotplug ? DmaPlan.Empty : PlanAndApply(container, history);
        _lastPlans[container] = replay;
        return replay;
    }

    /// <inheritdoc/>
    public DmaPlan RemoveContainer(IDmaBackend container)
    {
        int at = _containers.FindIndex(c => ReferenceEquals(c.Container, container));
        var (_, history) = _containers[at];
        var teardown = DmaPlanner.Plan(history.Mappings, DmaMap.Empty, plan with { Backend = container.Traits });
        Issue(container, history, teardown);
        _containers.RemoveAt(at);
        _lastPlans.Remove(container);
        return teardown;
    }

    /// <inheritdoc/>
    public void Begin()
    {
        _deleted.Clear();
        _kept.Clear();
        _added.Clear();
    }

    /// <inheritdoc/>
    public void RegionDel(in FlatRange range) => _deleted.Add(range);

    /// <inheritdoc/>
    public void RegionNop(in FlatRange range) => _kept.Add(range);

    /// <inheritdoc/>
    public void RegionAdd(in FlatRange range) => _added.Add(range);

    /// <inheritdoc/>
    public void LogStart(in FlatRange range, byte oldMask, byte newMask)
    {
    }

    /// <inheritdoc/>
    public void LogStop(in FlatRange range, byte oldMask, byte newMask)
    {
    }

    /// <inheritdoc/>
    public void Commit()
    {
        // The new view: the old one without what was deleted, nops carrying their new attributes, adds put in.
        var kept = _kept.Select(k => k.Range.Start).ToHashSet();
        var ranges = _view.Ranges.Where(r => !_deleted.Contains(r) && !kept.Contains(r.Range.Start)).Concat(_kept).Concat(_added).OrderBy(r => r.Range.Start);
        _view = FlatView.Create(ranges);
        _previous = _map.Mappings;
        _map = DmaMap.Of(_view, options);
        if (plan.Granularity == MappingGranularity.RegionBoundaries)
        {
            _splitPoints = UnsimplifiedHint is { } hint ? [.. hint.Ranges.Select(r => r.Range.Start)] : [];
        }

        UnsimplifiedHint = null;
        foreach (var (container, history) in _containers)
        {
            _lastPlans[container] = PlanAndApply(container, history);
        }
    }

    private DmaPlan PlanAndApply(IDmaBackend container, MappingSetBackend history)
    {
        var planOptions = plan with { Backend = container.Traits };
        var planned = flaw switch
        {
            ListenerFlaw.IgnoresHistory => DmaPlanner.Plan(_previous, _map, planOptions, [.. _splitPoints]),
            ListenerFlaw.ComparesRanges => RemapUnlessIdentical(history.Mappings, planOptions),
            _ => DmaPlanner.Plan(history.Mappings, _map, planOptions, [.. _splitPoints]),
        };
        if (!planned.ExceedsEntryLimit)
        {
            Issue(container, history, planned);
        }

        return planned;
    }

    // The history follows only the calls the container accepted, as the library's listener's does.
    private void Issue(IDmaBackend container, MappingSetBackend history, DmaPlan planned)
    {
        foreach (var op in planned.Operations)
        {
            var result = Call(container, op);
            if (result.Succeeded)
            {
                Call(history, op);
            }
            else
            {
                _failures.Add(new ListenerFailure(0, container.Name, op, result));
            }
        }
    }

    private static DmaResult Call(IDmaBackend backend, DmaOperation op) => op switch
    {
        DmaOperation.Map m => backend.Map(m.Mapping),
        DmaOperation.Unmap u => backend.Unmap(u.Iova),
        _ => backend.UnmapAll(),
    };

    private DmaPlan RemapUnlessIdentical(IReadOnlyList<DmaMapping> live, PlanOptions planOptions)
    {
        var wanted = _map.Mappings.ToHashSet();
        var keptMappings = live.Where(wanted.Contains).ToList();
        var operations = live.Where(m => !wanted.Contains(m)).Select(m => (DmaOperation)new DmaOperation.Unmap(m.Iova))
            .Concat(DmaPlanner.Plan(keptMappings, _map, planOptions, [.. _splitPoints]).Operations)
            .ToList();
        return DmaPlanMetrics.Measure(live, operations, _map, planOptions.Backend);
    }
}
