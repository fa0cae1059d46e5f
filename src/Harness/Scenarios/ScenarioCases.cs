using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Generators.Dma;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Turns the generated case types into scenarios, so every shrunk failure of a suite can be saved and replayed.
/// The conversion records what the model was asked to do (absolute addresses, one commit per transaction), never
/// what it answered: a saved failure carries no expectations taken from a broken model; the runner's invariants
/// are what catch it again.
/// </summary>
public static class ScenarioCases
{
    /// <summary>The scenario of a failed run's shrunk case, or null when none of its arguments has a scenario form.</summary>
    /// <param name="outcome">A failed outcome.</param>
    /// <returns>The scenario or null.</returns>
    public static Scenario? Of(PropertyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var header = new ScenarioHeader(
            $"{outcome.Property.Id} {outcome.Property.TestName}: shrunk failure",
            outcome.Property.Suite,
            outcome.Property.Id,
            outcome.Replay?.ToString());
        // DL-03 generates a case and a re-layout of its last view; the pair is one scenario.
        if (outcome.ShrunkArguments.OfType<DmaCase>().FirstOrDefault() is { } dma && outcome.ShrunkArguments.OfType<Relayout>().FirstOrDefault() is { } relayout)
        {
            return Scenario.Create(header, FromRelayout(dma, relayout));
        }

        foreach (var argument in outcome.ShrunkArguments)
        {
            if (argument is not null && Steps(argument) is { } steps)
            {
                return Scenario.Create(header, steps);
            }
        }

        return null;
    }

    /// <summary>The steps of one generated case, or null when its type has no scenario form.</summary>
    /// <param name="generated">A case object: TreeTransactionCase, RegionTreeCase, LayoutCase, FlatRangesCase, DmaCase, or any
    /// <see cref="IScenarioCase"/>.</param>
    /// <returns>The steps or null.</returns>
    public static IReadOnlyList<ScenarioStep>? Steps(object generated) => generated switch
    {
        TreeTransactionCase c => FromTransactions(c),
        RegionTreeCase c => FromTransactions(new TreeTransactionCase(c, [])),
        LayoutCase c => FromLayout(c),
        DmaCase c => FromDma(c),
        FlatRangesCase c => [new ViewStep(c.Ranges)],
        IScenarioCase c => c.ToScenarioSteps(),
        _ => null,
    };

    /// <summary>A generated tree built step by step, committed, then one commit per operation that changes it.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> FromTransactions(TreeTransactionCase c) => Flatten(TreePlan(c), _ => []);

    /// <summary>A machine, committed, then each machine operation as its own transaction.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> FromLayout(LayoutCase c) => Flatten(LayoutPlan(c), _ => []);

    /// <summary>
    /// A DMA listener case as <see cref="ListenerRun"/> runs it: both listeners registered on the empty view, a
    /// container on each, the case's transactions, and before the transactions it names a new container on each
    /// listener (hotplug).
    /// </summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> FromDma(DmaCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var plan = c.Tree is { } tree ? TreePlan(tree) : LayoutPlan(c.Layout!);
        int next = 1;
        var steps = new List<ScenarioStep>(Listeners(c))
        {
            new ContainerStep("naive0", c.Traits),
            new HotplugStep("naive0", NaiveListener),
            new ContainerStep("container0", c.Traits),
            new HotplugStep("container0", CoalescingListener),
        };
        steps.AddRange(Flatten(plan, i =>
        {
            if (!c.Hotplugs.Contains(i))
            {
                return [];
            }

            int k = next++;
            string coalescing = string.Create(CultureInfo.InvariantCulture, $"container{k}"), naive = string.Create(CultureInfo.InvariantCulture, $"naive{k}");
            return [new ContainerStep(coalescing, c.Traits), new HotplugStep(coalescing, CoalescingListener), new ContainerStep(naive, c.Traits), new HotplugStep(naive, NaiveListener)];
        }));
        return steps;
    }

    /// <summary>DL-03's case: the last view of a DMA case, committed into a coalescing listener's container, then a
    /// re-layout with the same DMA-visible translation and back; the property says neither issues an ioctl.</summary>
    /// <param name="c">The case.</param>
    /// <param name="relayout">The re-layout.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> FromRelayout(DmaCase c, Relayout relayout)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(relayout);
        var last = c.Trees()[^1].Render();
        var other = relayout.Apply(last);
        var none = StepExpectations.None with { Ioctls = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("container0", 0)]) };
        return
        [
            Listeners(c)[1],
            new ContainerStep("container0", c.Traits),
            new HotplugStep("container0", CoalescingListener),
            new ViewStep(last.Ranges) { Note = "the case's last view" },
            new ViewStep(other.Ranges) { Expect = none, Note = relayout.ToString() },
            new ViewStep(last.Ranges) { Expect = none, Note = "and back" },
        ];
    }

    private const string NaiveListener = "naive";
    private const string CoalescingListener = "coalescing";

    private static ScenarioStep[] Listeners(DmaCase c) =>
    [
        new ListenerStep(NaiveListener, ListenerKind.Naive, c.DmaOptions),
        new ListenerStep(CoalescingListener, ListenerKind.Coalescing, c.DmaOptions)
        {
            Granularity = c.Granularity switch
            {
                MappingGranularity.RegionBoundaries => "region-boundaries",
                MappingGranularity.FixedGranule => "fixed-granule",
                _ => "per-range",
            },
            Granule = c.PlanOptions.Granule,
        },
    ];

    /// <summary>Setup steps, then per transaction its edits (none for the first, which commits the setup).</summary>
    private sealed record TransactionPlan(IReadOnlyList<ScenarioStep> Setup, IReadOnlyList<(IReadOnlyList<ScenarioStep> Edits, string? Note)> Transactions);

    private static IReadOnlyList<ScenarioStep> Flatten(TransactionPlan plan, Func<int, IReadOnlyList<ScenarioStep>> before)
    {
        var steps = new List<ScenarioStep>(plan.Setup);
        for (int i = 0; i < plan.Transactions.Count; i++)
        {
            var (edits, note) = plan.Transactions[i];
            steps.AddRange(before(i));
            steps.AddRange(edits);
            steps.Add(new CommitStep { Note = note });
        }

        return steps;
    }

    private static TransactionPlan TreePlan(TreeTransactionCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var tree = c.Tree.Build();
        var setup = new List<ScenarioStep> { new RootStep(tree.Root) };
        foreach (var r in c.Tree.Regions)
        {
            // The built region carries the absolute sizes and offsets the grid implies.
            setup.Add(new DefineStep(tree[r.Name] with { Subregions = [] }));
        }

        foreach (var p in c.Tree.Placements)
        {
            var placement = tree.PlacementOf(p.Child);
            setup.Add(new PlaceStep(p.Child, p.Parent, placement.Address, placement.Priority));
        }

        var transactions = new List<(IReadOnlyList<ScenarioStep>, string?)> { ([], null) };
        foreach (var op in c.Operations)
        {
            var next = op.ApplyTo(tree, c.Tree.Grid);
            transactions.Add((!ReferenceEquals(next, tree) && Edit(op, next) is { } edit ? [edit] : [], $"transaction: {op}"));
            tree = next;
        }

        return new TransactionPlan(setup, transactions);
    }

    private static TransactionPlan LayoutPlan(LayoutCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string ramRegion = c.Layout.Name == "virt" ? "mach-virt.ram" : "pc.ram";
        var transactions = new List<(IReadOnlyList<ScenarioStep>, string?)> { ([], null) };
        transactions.AddRange(c.Operations.Select(op => ((IReadOnlyList<ScenarioStep>)[new MachineStep(op)], (string?)null)));
        return new TransactionPlan([new LayoutStep(c.Layout.Name, (ulong)c.Layout.Tree[ramRegion].Size)], transactions);
    }

    // The edit as the model path applied it, read back from the changed tree so addresses are absolute.
    private static ScenarioStep? Edit(TreeOperation op, RegionTree next) => op switch
    {
        TreeOperation.SetFlag f => f.Flag switch
        {
            RegionFlag.Enabled => new SetStep(f.Region) { Enabled = f.Value },
            RegionFlag.ReadOnly => new SetStep(f.Region) { ReadOnly = f.Value },
            RegionFlag.NonVolatile => new SetStep(f.Region) { NonVolatile = f.Value },
            RegionFlag.Unmergeable => new SetStep(f.Region) { Unmergeable = f.Value },
            RegionFlag.RomdMode => new SetStep(f.Region) { RomdMode = f.Value },
            _ => new SetStep(f.Region) { DirtyLogMask = next[f.Region].DirtyLogMask },
        },
        TreeOperation.Move m => new MoveStep(m.Region, next.PlacementOf(m.Region).Address),
        TreeOperation.SetAliasOffset a => new SetStep(a.Region) { AliasOffset = next[a.Region].AliasOffset },
        TreeOperation.Unplace u => new UnplaceStep(u.Region),
        TreeOperation.Place p => new PlaceStep(p.Placement.Child, p.Placement.Parent, next.PlacementOf(p.Placement.Child).Address, p.Placement.Priority),
        _ => null,
    };
}
