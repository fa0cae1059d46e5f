using Verify.Harness.Implementations;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Hosts;

/// <summary>
/// Everything one scenario runs on: the memory map, the DMA side, standalone page tables, the guest IOMMU and a
/// device life cycle, built from the implementation under test. Steps act on it; checks read it. A transaction goes
/// through <see cref="Transaction"/>, so every host sees it in QEMU's order.
/// </summary>
public sealed class ScenarioMachine
{
    /// <summary>Builds an empty machine.</summary>
    /// <param name="implementation">The models to run.</param>
    /// <param name="describing">Whether step results are written out (a replay) or skipped (a generated case).</param>
    public ScenarioMachine(ImplementationUnderTest implementation, bool describing)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        Implementation = implementation;
        implementation.BeginScenario?.Invoke();
        Log = new StepLog(describing);
        MemoryMap = new MemoryMapHost(implementation.MemoryMap);
        Dma = new DmaHost(implementation, MemoryMap, Log);
        PageTables = new PageTableHost(implementation);
        Guest = new GuestHost(implementation, Log);
        Lifecycle = new LifecycleHost(implementation);
    }

    /// <summary>The models under test.</summary>
    public ImplementationUnderTest Implementation { get; }

    /// <summary>The current step's result lines.</summary>
    public StepLog Log { get; }

    /// <summary>Region trees, render, the address space.</summary>
    public MemoryMapHost MemoryMap { get; }

    /// <summary>Listeners, containers, processes.</summary>
    public DmaHost Dma { get; }

    /// <summary>Standalone page tables.</summary>
    public PageTableHost PageTables { get; }

    /// <summary>The guest IOMMU.</summary>
    public GuestHost Guest { get; }

    /// <summary>A device life cycle.</summary>
    public LifecycleHost Lifecycle { get; }

    /// <summary>The current step's transaction, if it made one.</summary>
    public TransactionObservation? LastTransaction { get; private set; }

    /// <summary>The current step's <c>view</c> observation, if it was one.</summary>
    public ViewObservation? LastView { get; private set; }

    /// <summary>The current step's late-listener replay, if it registered an observer.</summary>
    public ObserverReplay? LastReplay { get; private set; }

    /// <summary>The current step's <c>info mtree -f</c> dump, if it gave one.</summary>
    public Verify.MemoryMap.Text.MtreeFlatDump? LastDump { get; private set; }

    /// <summary>Prepares every host for a step.</summary>
    public void BeginStep()
    {
        Log.Clear();
        LastTransaction = null;
        LastView = null;
        LastReplay = null;
        LastDump = null;
        Dma.BeginStep();
        PageTables.BeginStep();
        Guest.BeginStep();
        Lifecycle.BeginStep();
    }

    /// <summary>Lets every host measure what the step did.</summary>
    /// <param name="index">The step's index.</param>
    public void EndStep(int index)
    {
        Dma.EndStep(LastTransaction);
        Guest.EndStep(index);
    }

    /// <summary>One memory transaction: listeners see the difference; the vIOMMU's system memory follows a commit.</summary>
    /// <param name="view">The new simplified view.</param>
    /// <param name="unsimplified">Its unsimplified form.</param>
    /// <param name="committedTree">Whether the view is the render of the scenario's tree (a commit, not a <c>view</c>).</param>
    /// <returns>What the transaction did.</returns>
    public TransactionObservation Transaction(FlatView view, FlatView unsimplified, bool committedTree)
    {
        Dma.MarkDeviceMemory(view);
        Dma.BeforeTransaction(unsimplified);
        var observed = MemoryMap.Commit(view, unsimplified);
        Dma.AfterTransaction();
        if (committedTree)
        {
            Guest.CommitSystem(MemoryMap.Tree!);
        }

        LastTransaction = observed;
        return observed;
    }

    /// <summary>Registers an observer and records its replay.</summary>
    /// <param name="name">The observer's name.</param>
    public void Observe(string name) => LastReplay = MemoryMap.Observe(name);

    /// <summary>Records the dump a step gave.</summary>
    /// <param name="dump">The dump.</param>
    public void Dumped(Verify.MemoryMap.Text.MtreeFlatDump dump) => LastDump = dump;

    /// <summary>Records what a <c>view</c> step did with its ranges.</summary>
    /// <param name="observation">The observation.</param>
    public void Viewed(ViewObservation observation) => LastView = observation;
}
