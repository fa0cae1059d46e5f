using System.Collections.Immutable;
using Verify.IommuModel.Backends;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Harness.Dma;

/// <summary>One listener's ioctls for a transaction and what they cost.</summary>
/// <param name="Name">Short name for tables.</param>
/// <param name="Description">What the container held and how the listener plans.</param>
/// <param name="Plan">The ioctls with collateral, window and live mappings.</param>
/// <param name="Before">The container's mappings before the transaction, which the plan starts from.</param>
/// <param name="Windows">The plan's DMA windows (<see cref="DmaPlanMetrics.Windows"/>).</param>
public sealed record ListenerRow(string Name, string Description, DmaPlan Plan, ImmutableArray<DmaMapping> Before, ImmutableArray<CollateralWindow> Windows);

/// <summary>
/// What the naive vfio listener and the coalescing listener do with one transaction OLD -&gt; NEW, each on a
/// container that was replayed OLD: the topology events, and per listener its ioctls and their cost.
/// </summary>
/// <param name="Events">The callbacks of the transaction (nops left out).</param>
/// <param name="Rows">Naive first, then the coalescing variants.</param>
/// <param name="HostPageSize">The host page size the sections were cut with.</param>
public sealed record ListenerComparison(ImmutableArray<TopologyEvent> Events, ImmutableArray<ListenerRow> Rows, ulong HostPageSize)
{
    /// <summary>Runs every listener on the transaction <paramref name="oldView"/> -&gt; <paramref name="newView"/>.</summary>
    /// <param name="oldView">The view the containers were replayed.</param>
    /// <param name="newView">The view after the transaction.</param>
    /// <param name="options">The vfio section rules (host page size).</param>
    /// <returns>The comparison.</returns>
    public static ListenerComparison Of(FlatView oldView, FlatView newView, DmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(oldView);
        ArgumentNullException.ThrowIfNull(newView);
        ArgumentNullException.ThrowIfNull(options);
        var desired = DmaMap.Of(newView, options);

        // The naive listener keeps no history: measure its calls with the planner's ruler.
        var naive = new NaiveVfioListener(options);
        var naiveContainer = new MappingSetBackend("naive", DmaBackendTraits.Type1);
        var topology = new MemoryTopology(oldView);
        topology.Register(naive);
        naive.AddContainer(naiveContainer);
        var naiveHistory = naiveContainer.Mappings.ToImmutableArray();
        topology.Commit(newView);
        var naivePlan = DmaPlanMetrics.Measure(naiveHistory, naive.OperationsOf(naiveContainer, naive.Transaction), desired, DmaBackendTraits.Type1);

        var perRange = PlanOptions.Default;
        ListenerRow Row(string name, string description, (DmaPlan Plan, ImmutableArray<DmaMapping> Before, DmaBackendTraits Traits) run) =>
            new(name, description, run.Plan, run.Before, DmaPlanMetrics.Windows(run.Before, run.Plan.Operations, desired, run.Traits));
        return new ListenerComparison(
            TopologyDiff.Changes(oldView, newView),
            [
                Row("naive", "QEMU's vfio listener today: UNMAP per region_del, MAP per region_add", (naivePlan, naiveHistory, DmaBackendTraits.Type1)),
                Row("per-range", "coalescing, fresh container replayed OLD as one mapping per range", Coalesce(oldView, newView, options, perRange, DmaBackendTraits.Type1)),
                Row("granule-2M", "coalescing, fresh container, mappings cut at every 2 MiB", Coalesce(oldView, newView, options, perRange with { Granularity = MappingGranularity.FixedGranule }, DmaBackendTraits.Type1)),
                Row("naive-history", "coalescing, on the container the naive listener filled from OLD", (DmaPlanner.Plan(naiveHistory, desired, perRange), naiveHistory, DmaBackendTraits.Type1)),
                Row("split-capable", "coalescing, per range, on a backend that can cut a mapping in place", Coalesce(oldView, newView, options, perRange, DmaBackendTraits.SplitCapable)),
            ],
            options.HostPageSize);
    }

    private static (DmaPlan Plan, ImmutableArray<DmaMapping> Before, DmaBackendTraits Traits) Coalesce(FlatView oldView, FlatView newView, DmaOptions options, PlanOptions plan, DmaBackendTraits traits)
    {
        var listener = new CoalescingListener(options, plan);
        var topology = new MemoryTopology(oldView);
        topology.Register(listener);
        var container = new MappingSetBackend("coalescing", traits);
        listener.AddContainer(container);
        var before = container.Mappings.ToImmutableArray();
        topology.Commit(newView);
        return (listener.LastPlans[container], before, traits);
    }
}
