using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Vfio;

/// <summary>
/// The listener the seed thread proposes: it ignores the callbacks' shape, rebuilds the new view at commit, and
/// for every container plans from the mappings it created there (its history) to the new DMA-visible map with
/// <see cref="DmaPlanner"/>. A functionally equal re-layout (A + B -&gt; A') issues nothing.
/// </summary>
/// <remarks>Not thread-safe (QEMU runs listeners under the BQL). Kernel errors are recorded in
/// <see cref="Failures"/>, never thrown.</remarks>
public sealed class CoalescingListener : IMemoryListener
{
    private readonly DmaOptions _options;
    private readonly PlanOptions _plan;
    private readonly ViewEdits _edits = new();
    private readonly List<IDmaBackend> _containers = [];
    private readonly Dictionary<IDmaBackend, MappingSet> _histories = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IDmaBackend, DmaPlan> _lastPlans = new(ReferenceEqualityComparer.Instance);
    private readonly List<ListenerFailure> _failures = [];
    private DmaMap _map = DmaMap.Empty;
    private ImmutableArray<ulong> _splitPoints = [];

    /// <summary>Creates a listener that has seen the empty view and drives no container.</summary>
    /// <param name="options">The vfio section rules.</param>
    /// <param name="plan">Granularity; its backend traits are replaced by each container's own.</param>
    public CoalescingListener(DmaOptions options, PlanOptions plan)
    {
        _options = Preconditions.CheckNotNull(options, nameof(options));
        _plan = Preconditions.CheckNotNull(plan, nameof(plan));
    }

    /// <summary>The view the listener has been told about (<see cref="FlatView.Empty"/> at first).</summary>
    public FlatView View { get; private set; } = FlatView.Empty;

    /// <summary>The DMA-visible map of <see cref="View"/>.</summary>
    public DmaMap Map => _map;

    /// <summary>Set by the driver before a commit: the unsimplified render of the new view, whose range starts are
    /// where <see cref="MappingGranularity.RegionBoundaries"/> splits new mappings. The commit consumes it (it is
    /// null again afterwards) and keeps its split points for containers added later; ignored by the other granularities.</summary>
    public FlatView? UnsimplifiedHint { get; set; }

    /// <summary>The containers, in the order they were added.</summary>
    public IReadOnlyList<IDmaBackend> Containers => _containers;

    /// <summary>Per container, the plan of the last commit (refused plans included) or of its replay when added since.</summary>
    public IReadOnlyDictionary<IDmaBackend, DmaPlan> LastPlans => _lastPlans;

    /// <summary>Every ioctl a backend refused: each one is a planner bug.</summary>
    public IReadOnlyList<ListenerFailure> Failures => _failures;

    /// <summary>Transactions committed so far (each container replay counts as one too).</summary>
    public int Transaction { get; private set; }

    /// <summary>The exact live mappings this listener created in <paramref name="container"/>, ascending.</summary>
    /// <param name="container">A container of this listener.</param>
    /// <returns>A snapshot.</returns>
    /// <exception cref="InvalidOperationException">The container was never added or has been removed.</exception>
    public IReadOnlyList<DmaMapping> HistoryOf(IDmaBackend container) => HistoryFor(container).Mappings.ToImmutableArray();

    /// <summary>Hotplug: replays the current DMA map into <paramref name="container"/> (a plan from an empty
    /// history, split as the current granularity says), applies it and returns it. A plan over the entry limit is
    /// not applied; the container is still added, with an empty history.</summary>
    /// <param name="container">A container not yet added.</param>
    /// <returns>The replay plan.</returns>
    public DmaPlan AddContainer(IDmaBackend container)
    {
        ArgumentNullException.ThrowIfNull(container);
        Preconditions.CheckState(!_histories.ContainsKey(container), $"container {container.Name} is already added");
        _containers.Add(container);
        _histories.Add(container, MappingSet.Simulator(container.Traits with { EntryLimit = int.MaxValue }, []));
        Transaction++;
        return PlanAndApply(container);
    }

    /// <summary>Unplug: removes everything the listener created in <paramref name="container"/> (UNMAP with
    /// FLAG_ALL when the backend has it, else the planner's UNMAPs) and forgets the container.</summary>
    /// <param name="container">A container of this listener.</param>
    /// <returns>The teardown plan.</returns>
    public DmaPlan RemoveContainer(IDmaBackend container)
    {
        var history = HistoryFor(container);
        Transaction++;
        var traits = container.Traits;
        var plan = history.Mappings.Count == 0 ? DmaPlan.Empty
            : traits.SupportsUnmapAll ? DmaPlanMetrics.Measure(history.Mappings, [new DmaOperation.UnmapAll()], DmaMap.Empty, traits)
            : DmaPlanner.Plan(history.Mappings, DmaMap.Empty, _plan with { Backend = traits });
        Apply(container, history, plan);
        _containers.Remove(container);
        _histories.Remove(container);
        _lastPlans.Remove(container);
        return plan;
    }

    /// <inheritdoc/>
    public void Begin() => _edits.Clear();

    /// <inheritdoc/>
    public void RegionDel(in FlatRange range) => _edits.Delete(range);

    /// <inheritdoc/>
    public void RegionNop(in FlatRange range) => _edits.Keep(range);

    /// <inheritdoc/>
    public void RegionAdd(in FlatRange range) => _edits.Add(range);

    /// <inheritdoc/>
    /// <remarks>A dirty-mask change arrives with its nop, which already carries the new mask.</remarks>
    public void LogStart(in FlatRange range, byte oldMask, byte newMask)
    {
    }

    /// <inheritdoc/>
    public void LogStop(in FlatRange range, byte oldMask, byte newMask)
    {
    }

    /// <summary>Rebuilds the new view from the buffered callbacks and brings every container to its DMA map.</summary>
    public void Commit()
    {
        var view = _edits.ApplyTo(View);
        _edits.Clear();
        Transaction++;
        if (_plan.Granularity == MappingGranularity.RegionBoundaries)
        {
            _splitPoints = UnsimplifiedHint is { } hint ? [.. hint.Ranges.Select(r => r.Range.Start)] : [];
        }

        UnsimplifiedHint = null;
        _map = ReferenceEquals(view, View) ? _map : DmaMap.Of(view, _options);
        View = view;
        foreach (var container in _containers)
        {
            PlanAndApply(container);
        }
    }

    private DmaPlan PlanAndApply(IDmaBackend container)
    {
        var history = _histories[container];
        var plan = DmaPlanner.Plan(history.Mappings, _map, _plan with { Backend = container.Traits }, _splitPoints);
        _lastPlans[container] = plan;
        if (!plan.ExceedsEntryLimit)
        {
            Apply(container, history, plan);
        }

        return plan;
    }

    // Issues the plan op by op; the history follows only the calls the backend accepted, so it stays exactly what
    // this listener created there.
    private void Apply(IDmaBackend container, MappingSet history, DmaPlan plan)
    {
        var accepted = new List<DmaOperation>(plan.Operations.Length);
        foreach (var op in plan.Operations)
        {
            var result = op switch
            {
                DmaOperation.Map m => container.Map(m.Mapping),
                DmaOperation.Unmap u => container.Unmap(u.Iova),
                _ => container.UnmapAll(),
            };
            if (result.Succeeded)
            {
                accepted.Add(op);
            }
            else
            {
                _failures.Add(new ListenerFailure(Transaction, container.Name, op, result));
            }
        }

        // The history never refuses (no entry limit), so applying the accepted calls at the end is the same as
        // applying each as it was accepted, and one rebuild is cheaper than an array move per call.
        history.ApplyAll(accepted);
    }

    private MappingSet HistoryFor(IDmaBackend container)
    {
        ArgumentNullException.ThrowIfNull(container);
        Preconditions.CheckState(_histories.TryGetValue(container, out var history), $"container {container.Name} is not a container of this listener");
        return history!;
    }
}
