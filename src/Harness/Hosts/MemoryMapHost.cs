using System.Collections.Immutable;
using Verify.Harness.Implementations;
using Verify.Harness.Layouts;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Hosts;

/// <summary>
/// The memory map of a scenario: the model's region tree (edited through the library), the oracle's own tree (edited
/// by the same steps, apart), the machine a <c>layout</c> step started, and the address space's topology that
/// listeners register with. Edits are staged until a commit, as QEMU's take effect at the end of a transaction.
/// </summary>
public sealed class MemoryMapHost
{
    private readonly MemoryMapImplementation _implementation;

    /// <summary>Creates an empty host.</summary>
    /// <param name="implementation">Render, simplify and diff under test.</param>
    public MemoryMapHost(MemoryMapImplementation implementation) => _implementation = implementation;

    /// <summary>The model's tree, or null before a <c>root</c> or <c>layout</c> step.</summary>
    public RegionTree? Tree { get; private set; }

    /// <summary>The oracle's tree, edited apart from <see cref="Tree"/>.</summary>
    public PlainRegionTree? OracleTree { get; private set; }

    /// <summary>The machine a <c>layout</c> step started, or null.</summary>
    public MachineLayout? Layout { get; private set; }

    /// <summary>The address space listeners register with.</summary>
    public MemoryTopology Topology { get; } = new();

    /// <summary>The view listeners last saw.</summary>
    public FlatView View => Topology.Current;

    /// <summary>Transactions committed so far.</summary>
    public int Transactions { get; private set; }

    /// <summary>Render, simplify and diff under test.</summary>
    public MemoryMapImplementation Implementation => _implementation;

    /// <summary>Starts a tree whose root is a 2^64 container.</summary>
    /// <param name="root">The root's name.</param>
    public void StartTree(string root)
    {
        var region = MemoryRegion.Container(root, AddressSpace.End);
        Start(RegionTree.Create(region), new PlainRegionTree(region), null);
    }

    /// <summary>Starts from a realistic machine.</summary>
    /// <param name="layout">The machine.</param>
    public void StartLayout(MachineLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Start(layout.Tree, OracleTrees.From(layout.Tree), layout);
    }

    private void Start(RegionTree tree, PlainRegionTree oracle, MachineLayout? layout)
    {
        if (Tree is not null)
        {
            throw new StepException("the scenario already has a region tree; 'root' and 'layout' start one, once");
        }

        (Tree, OracleTree, Layout) = (tree, oracle, layout);
    }

    /// <summary>Applies one edit to both trees.</summary>
    /// <param name="model">The edit of the model's tree.</param>
    /// <param name="oracle">The same edit of the oracle's tree.</param>
    /// <returns>Whether the model's tree changed.</returns>
    public bool Edit(Func<RegionTree, RegionTree> model, Action<PlainRegionTree> oracle)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(oracle);
        var tree = Tree ?? throw new StepException("no region tree yet: start with a 'root' or 'layout' step");
        var changed = model(tree);
        Tree = changed;
        oracle(OracleTree!);
        return !ReferenceEquals(changed, tree);
    }

    /// <summary>Applies a machine operation's edits to both trees.</summary>
    /// <param name="operation">The operation.</param>
    /// <returns>Whether anything changed.</returns>
    public bool Apply(LayoutOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var layout = Layout ?? throw new StepException("machine operations need a 'layout' step first");
        if (operation.Refusal(layout) is { } refusal)
        {
            // An operation on something the machine lacks would do nothing and read as a change that did nothing.
            throw new StepException(refusal);
        }

        bool changed = false;
        foreach (var edit in operation.Edits(layout, Tree!))
        {
            changed |= Edit(edit is TreeEdit.Move move ? t => _implementation.Move(t, move.Child, move.Address) : edit.ApplyTo, oracle => Apply(oracle, edit));
        }

        return changed;
    }

    /// <summary>Applies a memory API edit to the oracle's tree.</summary>
    /// <param name="oracle">The oracle's tree.</param>
    /// <param name="edit">The edit.</param>
    public static void Apply(PlainRegionTree oracle, TreeEdit edit)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        switch (edit)
        {
            case TreeEdit.Place p:
                oracle.Place(p.Parent, p.Child, p.Address, p.Priority);
                break;
            case TreeEdit.Unplace u:
                oracle.Unplace(u.Child);
                break;
            case TreeEdit.Move m:
                oracle.Move(m.Child, m.Address);
                break;
            case TreeEdit.Set s:
                oracle.Update(s.Change(oracle[s.Region]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(edit), edit, "is not a memory API edit");
        }
    }

    /// <summary>Registers a listener that only records what it is told, and keeps what its registration replayed.</summary>
    /// <param name="name">The listener's name.</param>
    /// <returns>The replay: the view it joined and every callback, in order.</returns>
    public ObserverReplay Observe(string name)
    {
        var log = new List<(string Listener, string Callback, TopologyEvent? Event)>();
        var view = View;
        Topology.Register(new RecordingListener(name, 0, log));
        return new ObserverReplay(name, view, [.. log.Select(l => (l.Callback, l.Event))]);
    }

    /// <summary>Renders the model's tree with the implementation under test (unsimplified, then simplified).</summary>
    /// <returns>Both views.</returns>
    public (FlatView Unsimplified, FlatView View) Render()
    {
        var tree = Tree ?? throw new StepException("nothing to commit: start with a 'root' or 'layout' step");
        var raw = _implementation.RenderUnsimplified(tree);
        return (raw, _implementation.Simplify(raw));
    }

    /// <summary>Commits <paramref name="view"/>: every listener sees the difference from the current view.</summary>
    /// <param name="view">The new simplified view.</param>
    /// <param name="unsimplified">Its unsimplified form.</param>
    /// <returns>What the transaction did.</returns>
    public TransactionObservation Commit(FlatView view, FlatView unsimplified)
    {
        var old = View;
        Transactions++;
        ImmutableArray<TopologyEvent> events = Topology.Commit(view);
        return new TransactionObservation(Transactions, old, view, unsimplified, events);
    }
}

/// <summary>What a listener registered late was replayed (docs/semantics.md 2.3).</summary>
/// <param name="Name">The listener.</param>
/// <param name="View">The view it joined.</param>
/// <param name="Callbacks">Every callback of the replay, in order.</param>
public sealed record ObserverReplay(string Name, FlatView View, ImmutableArray<(string Callback, TopologyEvent? Event)> Callbacks);
