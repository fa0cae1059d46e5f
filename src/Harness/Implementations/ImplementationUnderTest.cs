using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Lifecycle;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.Vfio;

namespace Verify.Harness.Implementations;

/// <summary>
/// What a scenario runs against: the library's models (<see cref="Model"/>) or a deliberately broken variant of one
/// of them. Generated cases and replays of saved files take the same value, so a failure found against a variant
/// replays against it, and a scenario file never says how a model is broken (it says what the model is asked).
/// </summary>
/// <remarks>
/// <para>Immutable; the factories are called once per scenario run and must return fresh objects.</para>
/// <para>A user's own code goes in through <see cref="Named"/> and the <c>With</c> methods, each replacing one
/// interface of the models and adding it to <see cref="Implements"/>; <see cref="Running.PropertyCatalogue.Judging"/>
/// then lists the properties that judge it.</para>
/// </remarks>
public sealed record ImplementationUnderTest
{
    /// <summary>The library's own models: what every catalogued property and every committed scenario checks.</summary>
    public static ImplementationUnderTest Model { get; } = new();

    /// <summary>The interfaces this implementation replaces with its own code; only properties that exercise one of
    /// them judge it (<see cref="Running.PropertyDefinition.Exercises"/>). The library's models implement all.</summary>
    public ImplementationInterfaces Implements { get; init; } = ImplementationInterfaces.All;

    /// <summary>The user's page table, or null for the library's <c>IoPageTable</c>.</summary>
    public PageTableImplementation? PageTable { get; init; }

    /// <summary>Called before each scenario runs (an external implementation forgets its listeners and domains).</summary>
    public Action? BeginScenario { get; init; }

    /// <summary>Cancelled when the implementation can no longer answer (an external process crashed, hung or spoke
    /// garbage): the running property then stops instead of shrinking a failure that is not one.</summary>
    public CancellationToken Abandoned { get; init; }

    /// <summary>A user's implementation, to be given its interfaces with the <c>With</c> methods; until then it
    /// implements nothing and every model is the library's.</summary>
    /// <param name="name">What it is, for messages and saved scenarios.</param>
    /// <returns>An implementation with no interface of its own.</returns>
    public static ImplementationUnderTest Named(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new ImplementationUnderTest { Name = name, Implements = ImplementationInterfaces.None, IsUsers = true };
    }

    /// <summary>Whether this is a user's implementation (made by <see cref="Named"/>), whose name a saved scenario
    /// records so it replays against it; a broken variant's name is never written (a file says what the models are
    /// asked, not how one is broken).</summary>
    public bool IsUsers { get; private init; }

    /// <summary>Replaces simplify, the topology diff and the late-listener replay (render stays the library's, so
    /// FV-01 judges the render of the model through the user's simplify).</summary>
    /// <param name="simplify"><c>flatview_simplify</c>.</param>
    /// <param name="diff"><c>address_space_update_topology_pass</c>, both passes: the events from an old view to a new one.</param>
    /// <param name="replay"><c>listener_add_address_space</c>: the events a late listener is told.</param>
    /// <returns>This implementation with its own memory map.</returns>
    public ImplementationUnderTest WithMemoryMap(
        Func<Verify.MemoryMap.Flat.FlatView, Verify.MemoryMap.Flat.FlatView> simplify,
        Func<Verify.MemoryMap.Flat.FlatView, Verify.MemoryMap.Flat.FlatView, System.Collections.Immutable.ImmutableArray<Verify.MemoryMap.Topology.TopologyEvent>> diff,
        Func<Verify.MemoryMap.Flat.FlatView, System.Collections.Immutable.ImmutableArray<Verify.MemoryMap.Topology.TopologyEvent>> replay)
    {
        ArgumentNullException.ThrowIfNull(simplify);
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(replay);
        return this with
        {
            MemoryMap = MemoryMap with { Name = Name, Simplify = simplify, Diff = diff, Replay = replay },
            Implements = Implements | ImplementationInterfaces.FlatView,
        };
    }

    /// <summary>Replaces the coalescing listener by one listener per container.</summary>
    /// <param name="create">Creates the listener of a new container.</param>
    /// <returns>This implementation with its own listener.</returns>
    public ImplementationUnderTest WithListener(Func<ContainerTraits, IContainerListener> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return this with
        {
            CoalescingListener = (options, _) => new PerContainerListener(options, create),
            Implements = Implements | ImplementationInterfaces.Listener,
        };
    }

    /// <summary>Replaces the standalone page tables.</summary>
    /// <param name="pageTable">The user's table and the rules it claims.</param>
    /// <returns>This implementation with its own page table.</returns>
    public ImplementationUnderTest WithPageTable(PageTableImplementation pageTable)
    {
        ArgumentNullException.ThrowIfNull(pageTable);
        return this with { PageTable = pageTable, Implements = Implements | ImplementationInterfaces.PageTable };
    }

    /// <summary>What this implementation is, for messages (<c>the model</c>, or the variant's name).</summary>
    public string Name { get; init; } = "the model";

    /// <summary>Render, simplify, topology diff and replay.</summary>
    public MemoryMapImplementation MemoryMap { get; init; } = MemoryMapImplementation.Model;

    /// <summary>Builds the coalescing DMA listener a <c>listener</c> step of kind <c>coalescing</c> registers.</summary>
    public Func<DmaOptions, PlanOptions, IPlanningListener> CoalescingListener { get; init; } = (options, plan) => new LibraryPlanningListener(options, plan);

    /// <summary>Rewrites the options of each <c>page-table</c> step's table (a deliberate bug of the page table or its
    /// IOTLB); the oracle still gets the step's own options.</summary>
    public Func<PageTableOptions, PageTableOptions> PageTables { get; init; } = options => options;

    /// <summary>A deliberate bug every type1 container carries, the vIOMMU's included (and, for
    /// <see cref="Type1Bug.MigratesPinnedPages"/>, every process).</summary>
    internal Type1Bug Type1Bug { get; init; } = Type1Bug.None;

    /// <summary>A deliberate shadow-sync defect of the vIOMMU.</summary>
    internal ShadowSyncBug ShadowSyncBug { get; init; } = ShadowSyncBug.None;

    /// <summary>The device life-cycle transition table <c>lifecycle</c> steps fire.</summary>
    public DeviceLifecycle Lifecycle { get; init; } = DeviceLifecycle.Qemu;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
