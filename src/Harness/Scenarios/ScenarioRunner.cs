using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.Harness.Suites;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Runs a scenario step by step against the models and checks, after every step, the expectations recorded in it
/// and the invariants the property suites check: after every commit the render equals the oracle's painting at
/// every range and placement boundary and the topology diff is the oracle's (FV-01, TD-01..04); an explicit view
/// is accepted exactly when the oracle calls it valid and simplifies as the oracle does (FV-02..04); the DMA
/// invariants of every container, the type1 checks and accounting of every process, and the page-table invariants
/// are in the DMA, Type1 and PageTables parts of this class.
/// </summary>
/// <remarks>Not thread-safe; one runner runs one scenario. Kernel errors of raw MAP/UNMAP steps are results, not
/// failures; a step that cannot run (an undefined region, no tree yet) stops the replay.</remarks>
public sealed partial class ScenarioRunner
{
    private readonly MemoryTopology _topology = new();
    private RegionTree? _tree;
    private MachineLayout? _layout;
    private readonly ScenarioRunOptions _options;
    private int _transaction;

    private ScenarioRunner(ScenarioRunOptions options)
    {
        _options = options;
        _host = new ScenarioHost(options.Type1Bug);
    }

    /// <summary>The view listeners last saw.</summary>
    private FlatView View => _topology.Current;

    /// <summary>Runs every step of <paramref name="scenario"/> against the real models.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>One report entry per step that ran.</returns>
    public static ScenarioReport Run(Scenario scenario) => Run(scenario, ScenarioRunOptions.Default);

    /// <summary>Runs every step of <paramref name="scenario"/> against models built as <paramref name="options"/>
    /// say (a deliberately broken model, to show a saved scenario catches it).</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="options">How to build the models.</param>
    /// <returns>One report entry per step that ran.</returns>
    public static ScenarioReport Run(Scenario scenario, ScenarioRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var runner = new ScenarioRunner(options);
        var steps = ImmutableArray.CreateBuilder<StepReport>();
        for (int i = 0; i < scenario.Steps.Length; i++)
        {
            var report = runner.Execute(i, scenario.Steps[i]);
            steps.Add(report);
            if (report.Error is not null)
            {
                break;
            }
        }

        return new ScenarioReport(scenario, steps.ToImmutable());
    }

    private StepReport Execute(int index, ScenarioStep step)
    {
        var invariants = new Verdict();
        var context = new StepContext(invariants);
        string result;
        BeginDmaStep(context);
        BeginGuestStep();
        try
        {
            result = step switch
            {
                RootStep s => Start(RegionTree.Create(MemoryRegion.Container(s.Name, AddressSpace.End)), null),
                LayoutStep s => Start(null, s.Build()),
                DefineStep s => Edit(t => t.Define(s.Region)),
                PlaceStep s => Edit(t => t.AddSubregion(s.Parent, s.Child, s.Address, s.Priority)),
                UnplaceStep s => Edit(t => t.RemoveSubregion(s.Region)),
                MoveStep s => Edit(t => t.Move(s.Region, s.Address)),
                SetStep s => Edit(t => t.Update(s.Region, s.ApplyTo)),
                MachineStep s => Edit(t => s.Operation.ApplyTo(_layout ?? throw new StepException("machine operations need a 'layout' step first"), t)),
                CommitStep => Commit(context),
                ViewStep s => InstallView(s, context),
                GuestIommuStep s => RunGuest(s, context),
                _ => RunDma(step, context),
            };
        }
        catch (Exception error) when (error is StepException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            return new StepReport(index, step.ToString(), "", [], [.. invariants.Failures], error.Message);
        }

        EndDmaStep(context);
        EndGuestStep(index, step, context);
        AddGuestEffects(context);
        CheckAccounting(context.Invariants);
        CheckPageTables(step, context.Invariants);
        if (context.Lines.Count > 0)
        {
            result = string.Join("\n", context.Lines.Prepend(result));
        }

        var expectations = new Verdict();
        CheckExpectations(step, context, expectations);
        var broken = invariants.Failures.ToList();
        if (invariants.FailureCount > broken.Count)
        {
            broken.Add(string.Create(CultureInfo.InvariantCulture, $"... and {invariants.FailureCount - broken.Count} more"));
        }

        return new StepReport(index, step.ToString(), result, [.. expectations.Failures], [.. broken]);
    }

    private string Start(RegionTree? tree, MachineLayout? layout)
    {
        tree ??= layout!.Tree;
        if (_tree is not null)
        {
            throw new StepException("the scenario already has a region tree; 'root' and 'layout' start one, once");
        }

        _tree = tree;
        _layout = layout;
        return string.Create(CultureInfo.InvariantCulture, $"tree of {tree.Count} regions (not committed yet)");
    }

    private string Edit(Func<RegionTree, RegionTree> change)
    {
        var tree = _tree ?? throw new StepException("no region tree yet: start with a 'root' or 'layout' step");
        var changed = change(tree);
        _tree = changed;
        return ReferenceEquals(changed, tree) ? "no change" : "staged until the next commit";
    }

    private string Commit(StepContext context)
    {
        var tree = _tree ?? throw new StepException("nothing to commit: start with a 'root' or 'layout' step");
        var raw = tree.RenderUnsimplified();
        var view = tree.Render();
        CheckRender(context.Invariants, tree, raw, view);
        context.Unsimplified = raw;
        string result = Transaction(view, context);
        CommitGuestSystem();
        return result;
    }

    private string InstallView(ViewStep step, StepContext context)
    {
        bool valid = FlatViewOracle.IsValid(step.Ranges);
        FlatView view;
        try
        {
            view = FlatView.Create(step.Ranges);
        }
        catch (ArgumentException refused)
        {
            context.Invariants.Expect(!valid, () => $"the view was refused, but the oracle finds it valid: {refused.Message}");
            return $"refused: {refused.Message}";
        }

        context.Invariants.Expect(valid, () => "the view was accepted, but the oracle finds it invalid");
        context.Invariants.Expect(view.Ranges.SequenceEqual(step.Ranges), () => "the view does not hold the ranges it was given");
        var simple = view.Simplify();
        var expected = FlatViewOracle.Simplify(view.Ranges);
        context.Invariants.Expect(simple.Ranges.SequenceEqual(expected),
            () => $"simplify gave\n{simple}\nthe oracle's repeated merging gives\n{string.Join("\n", expected)}");
        context.Invariants.Expect(simple.Simplify().Equals(simple), () => "simplify is not idempotent");
        context.Unsimplified = view;
        return Transaction(simple, context);
    }

    // One memory transaction: every listener sees the difference; TD-01..04 are checked on it.
    private string Transaction(FlatView view, StepContext context)
    {
        var old = View;
        context.OldView = old;
        _transaction++;
        foreach (var r in view.Ranges.Where(r => r.Kind == RegionKind.RamDevice))
        {
            _host.MarkDeviceMemory(r.Region);
        }

        BeforeTransaction(context);
        TopologyProperties.CheckTransition(context.Invariants, old, view, _transaction);
        var events = _topology.Commit(view);
        AfterTransaction(context);
        var changes = events.Where(e => e.Kind is TopologyEventKind.Delete or TopologyEventKind.Add).ToList();
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"transaction {_transaction}: {view.Count} range(s); {changes.Count(e => e.Kind == TopologyEventKind.Delete)} del, {changes.Count(e => e.Kind == TopologyEventKind.Add)} add, {events.Count(e => e.Kind == TopologyEventKind.Nop)} nop"),
        };
        lines.AddRange(changes.Select(e => "  " + e));
        return string.Join("\n", lines);
    }

    private static void CheckRender(Verdict verdict, RegionTree tree, FlatView raw, FlatView view)
    {
        verdict.Expect(FlatView.FindDefect(view.Ranges) is null && view.IsSimplified, () => $"render gave an invalid or unsimplified view:\n{view}");
        foreach (ulong a in LayoutRenderProperties.Edges(tree, raw, view))
        {
            var expected = RegionTreePainter.Resolve(tree, a);
            var unsimplified = FlatViewOracle.Lookup(raw.Ranges, a);
            var simplified = FlatViewOracle.Lookup(view.Ranges, a);
            verdict.Expect(unsimplified == expected,
                () => $"address 0x{a:x}: render shows {unsimplified?.ToString() ?? "nothing"}, the oracle paints {expected?.ToString() ?? "nothing"}");
            verdict.Expect(WithoutPriority(simplified) == WithoutPriority(expected),
                () => $"address 0x{a:x}: the simplified render shows {simplified?.ToString() ?? "nothing"}, the oracle paints {expected?.ToString() ?? "nothing"}");
        }
    }

    private void CheckExpectations(ScenarioStep step, StepContext context, Verdict verdict)
    {
        var e = step.Expect;
        if (e.Ranges is { } ranges)
        {
            var actual = View.Ranges.Select(r => r.ToString()).ToList();
            verdict.Expect(actual.SequenceEqual(ranges),
                () => $"ranges:\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", ranges)}");
        }

        CheckDmaExpectations(step, context, verdict);
        CheckHostExpectations(e, verdict);
        CheckMdevExpectations(e, context, verdict);
        CheckPageTableExpectations(e, verdict);
        CheckGuestExpectations(e, verdict);
    }

    private static PaintedPage? WithoutPriority(PaintedPage? page) => page is null ? null : page with { Priority = 0 };

    /// <summary>What a step collects while it runs: invariant failures and extra result lines.</summary>
    private sealed class StepContext(Verdict invariants)
    {
        public Verdict Invariants { get; } = invariants;

        public List<string> Lines { get; } = [];

        /// <summary>The unsimplified render of a transaction's new view (for region-boundary splitting).</summary>
        public FlatView? Unsimplified { get; set; }

        /// <summary>The view before the step's transaction, if the step is one.</summary>
        public FlatView? OldView { get; set; }

        /// <summary>The result of the step's raw MAP/UNMAP, if it made one.</summary>
        public DmaResult? Raw { get; set; }

        /// <summary>The full result of the step's direct type1 call (pin, unpin, raw MAP_DMA/UNMAP_DMA), if it made one.</summary>
        public Verify.IommuModel.Type1.Type1Result? Type1Raw { get; set; }

        /// <summary>Containers that must match the view after the step (a transaction, hotplug or unplug touched them).</summary>
        public HashSet<string> Converged { get; } = new(StringComparer.Ordinal);

        /// <summary>Each container's state before the step.</summary>
        public Dictionary<string, (IReadOnlyList<DmaMapping> Mappings, int Calls, int Failures)> Before { get; } = new(StringComparer.Ordinal);

        /// <summary>What the step did to each container.</summary>
        public Dictionary<string, ContainerEffect> Observed { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A step that cannot run in the state the scenario is in.</summary>
    private sealed class StepException(string message) : Exception(message);
}
