using System.Collections.Immutable;
using Verify.Harness.Generators.Dma;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Variants;

/// <summary>
/// A small re-implementation of the coalescing listener (history per container, <see cref="DmaPlanner"/> at every
/// commit, plans over the entry limit not applied) with one <see cref="ListenerFlaw"/>. It is handed each new view
/// directly: the callbacks that rebuild the view are the topology suite's business.
/// </summary>
public sealed class FlawedCoalescingListener
{
    private readonly DmaCase _case;
    private readonly ListenerFlaw _flaw;
    private readonly List<(IDmaBackend Container, MappingSetBackend History)> _containers = [];
    private DmaMap _map = DmaMap.Empty;
    private ImmutableArray<ulong> _splitPoints = [];

    /// <summary>Creates a listener that has seen the empty view.</summary>
    /// <param name="c">The case whose options (section rules, granularity) the listener uses.</param>
    /// <param name="flaw">Its bug.</param>
    public FlawedCoalescingListener(DmaCase c, ListenerFlaw flaw)
    {
        ArgumentNullException.ThrowIfNull(c);
        _case = c;
        _flaw = flaw;
    }

    /// <summary>Runs <paramref name="c"/> as <see cref="ListenerRun.Execute"/> does, with this listener's containers
    /// in place of the coalescing listener's (the naive listener's are the library's).</summary>
    /// <param name="c">The case.</param>
    /// <param name="flaw">The listener's bug.</param>
    /// <returns>One record per transaction.</returns>
    public static IReadOnlyList<TransactionRecord> Execute(DmaCase c, ListenerFlaw flaw)
    {
        var listener = new FlawedCoalescingListener(c, flaw);
        listener.AddContainer(new MappingSetBackend("container0", c.Traits), FlatView.Empty);
        var records = new List<TransactionRecord>();
        foreach (var t in ListenerRun.Execute(c))
        {
            ImmutableArray<Hotplug> hotplugs = t.Hotplugs.IsEmpty
                ? []
                : [listener.AddContainer(new MappingSetBackend($"container{listener._containers.Count}", c.Traits), t.Old)];
            records.Add(t with { Hotplugs = hotplugs, Coalescing = listener.Commit(t.Unsimplified, t.New) });
        }

        return records;
    }

    /// <summary>Adds a container and replays the current map into it (unless the flaw is no replay).</summary>
    /// <param name="container">A new container.</param>
    /// <param name="view">The current view, for the record.</param>
    /// <returns>The hot-plug record.</returns>
    public Hotplug AddContainer(IDmaBackend container, FlatView view)
    {
        ArgumentNullException.ThrowIfNull(container);
        var history = new MappingSetBackend($"{container.Name} history", container.Traits with { EntryLimit = int.MaxValue });
        _containers.Add((container, history));
        var replay = _flaw == ListenerFlaw.NoReplayOnHotplug ? DmaPlan.Empty : PlanAndApply(container, history, []);
        return new Hotplug(container, view, replay, [.. container.Mappings]);
    }

    /// <summary>Brings every container to the DMA map of <paramref name="view"/>.</summary>
    /// <param name="unsimplified">The unsimplified render of the view (split points for region-boundary granularity).</param>
    /// <param name="view">The new view.</param>
    /// <returns>One step per container.</returns>
    public ImmutableArray<ContainerStep> Commit(FlatView unsimplified, FlatView view)
    {
        ArgumentNullException.ThrowIfNull(unsimplified);
        ArgumentNullException.ThrowIfNull(view);
        var previous = _map;
        _map = DmaMap.Of(view, _case.DmaOptions);
        if (_case.Granularity == MappingGranularity.RegionBoundaries)
        {
            _splitPoints = [.. unsimplified.Ranges.Select(r => r.Range.Start)];
        }

        var steps = ImmutableArray.CreateBuilder<ContainerStep>(_containers.Count);
        foreach (var (container, history) in _containers)
        {
            var before = container.Mappings.ToImmutableArray();
            var plan = PlanAndApply(container, history, previous.Mappings);
            steps.Add(new ContainerStep(container, before, plan, plan.Operations, [.. container.Mappings]));
        }

        return steps.MoveToImmutable();
    }

    private DmaPlan PlanAndApply(IDmaBackend container, MappingSetBackend history, IReadOnlyList<DmaMapping> previousMap)
    {
        var options = _case.PlanOptions with { Backend = container.Traits };
        var plan = _flaw switch
        {
            ListenerFlaw.IgnoresHistory => DmaPlanner.Plan(previousMap, _map, options, _splitPoints),
            ListenerFlaw.ComparesRanges => RemapUnlessIdentical(history.Mappings, options),
            _ => DmaPlanner.Plan(history.Mappings, _map, options, _splitPoints),
        };
        if (!plan.ExceedsEntryLimit)
        {
            foreach (var op in plan.Operations)
            {
                // The history follows only the calls the container accepted, as the library's listener's does.
                if (Issue(container, op).Succeeded)
                {
                    Issue(history, op);
                }
            }
        }

        return plan;
    }

    private static DmaResult Issue(IDmaBackend backend, DmaOperation op) => op switch
    {
        DmaOperation.Map m => backend.Map(m.Mapping),
        DmaOperation.Unmap u => backend.Unmap(u.Iova),
        _ => backend.UnmapAll(),
    };

    private DmaPlan RemapUnlessIdentical(IReadOnlyList<DmaMapping> live, PlanOptions options)
    {
        var wanted = _map.Mappings.ToHashSet();
        var kept = live.Where(wanted.Contains).ToList();
        var operations = live.Where(m => !wanted.Contains(m)).Select(m => (DmaOperation)new DmaOperation.Unmap(m.Iova))
            .Concat(DmaPlanner.Plan(kept, _map, options, _splitPoints).Operations)
            .ToList();
        return DmaPlanMetrics.Measure(live, operations, _map, options.Backend);
    }
}
