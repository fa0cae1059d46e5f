using Verify.IommuModel.Backends;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Vfio;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// One <see cref="DmaPlanner"/> over a device's whole desired translation (<see cref="RamListenerKind.Unified"/>): the
/// DMA mappings of its RAM sections plus the shadow mappings its notifiers know (each guest leaf composed with the
/// system view, as the notifier's translate does), planned against what this planner created in the container.
/// </summary>
/// <remarks>
/// <para>The RAM listener and the notifiers only see their own side, so a remapping switch that keeps every
/// translation still unmaps one side before the other is mapped; one planner over both sides keeps every live
/// mapping whose pages all translate the same (docs/semantics.md 3, minimal collateral).</para>
/// <para>Shadow mappings are translated again at every plan, so a change of system memory under a guest mapping's
/// target reaches the container (QEMU keeps the translation of the moment the leaf was mapped). Not thread-safe.</para>
/// </remarks>
public sealed class UnifiedPlanner
{
    // Only the ranges built here go through DmaMap.Of: RAM ones were already filtered with the machine's rules and
    // shadow ones are what vfio maps for a leaf, so the permissive default must not drop or realign any of them.
    private static readonly DmaOptions AsPlanned = DmaOptions.Default;

    private readonly RecordingBackend _container;
    private readonly MappingSetBackend _history;

    /// <summary>Creates the planner of <paramref name="container"/>, which must be empty.</summary>
    /// <param name="container">The device's container.</param>
    public UnifiedPlanner(RecordingBackend container)
    {
        _container = Preconditions.CheckNotNull(container, nameof(container));
        _history = new MappingSetBackend($"{container.Name} history", container.Traits with { EntryLimit = int.MaxValue });
    }

    /// <summary>The exact live mappings this planner created in the container, ascending.</summary>
    public IReadOnlyList<DmaMapping> History => _history.Mappings;

    /// <summary>The last plan made.</summary>
    public DmaPlan LastPlan { get; private set; } = DmaPlan.Empty;

    /// <summary>The device's desired translation: <paramref name="ram"/> together with <paramref name="shadow"/>.</summary>
    /// <param name="ram">The RAM sections' mappings, ascending and disjoint.</param>
    /// <param name="shadow">The shadow mappings, ascending and disjoint, none overlapping a RAM mapping.</param>
    /// <returns>The map.</returns>
    public static DmaMap Desired(IEnumerable<DmaMapping> ram, IEnumerable<DmaMapping> shadow)
    {
        ArgumentNullException.ThrowIfNull(ram);
        ArgumentNullException.ThrowIfNull(shadow);
        var ranges = ram.Concat(shadow)
            .OrderBy(m => m.Iova.Start)
            .Select(m => new FlatRange(m.Iova, m.Region, RegionKind.Ram, m.Offset, ReadOnly: !m.Writable, Unmergeable: true));
        return DmaMap.Of(FlatView.Create(ranges), AsPlanned);
    }

    /// <summary>Plans the container from its history to <paramref name="desired"/> and issues the plan; the history
    /// follows only the calls the container accepted (a refused one is in the container's log).</summary>
    /// <param name="desired">The device's desired translation.</param>
    /// <returns>The plan.</returns>
    public DmaPlan PlanAndApply(DmaMap desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var plan = DmaPlanner.Plan(_history.Mappings, desired, PlanOptions.Default with { Backend = _container.Traits });
        LastPlan = plan;
        var before = _container.Source;
        _container.Source = IoctlSource.Planner;
        try
        {
            foreach (var op in plan.Operations)
            {
                if (Issue(_container, op).Succeeded)
                {
                    Issue(_history, op);
                }
            }
        }
        finally
        {
            _container.Source = before;
        }

        return plan;
    }

    private static DmaResult Issue(IDmaBackend backend, DmaOperation op) => op switch
    {
        DmaOperation.Map m => backend.Map(m.Mapping),
        DmaOperation.Unmap u => backend.Unmap(u.Iova),
        _ => backend.UnmapAll(),
    };
}
