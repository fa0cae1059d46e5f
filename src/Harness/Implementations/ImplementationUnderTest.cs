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
/// <remarks>Immutable; the factories are called once per scenario run and must return fresh objects.</remarks>
public sealed record ImplementationUnderTest
{
    /// <summary>The library's own models: what every catalogued property and every committed scenario checks.</summary>
    public static ImplementationUnderTest Model { get; } = new();

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
