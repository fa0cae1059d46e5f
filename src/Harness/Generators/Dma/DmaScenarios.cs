using System.Collections.Immutable;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Scenarios;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Harness.Generators.Dma;

/// <summary>
/// The DMA listener properties' generated scenarios: QEMU's naive listener and the coalescing listener on one address
/// space, a container on each from the start and one more on each at every hot-plug point, then the case's
/// transactions. On a realistic machine the containers are real type1 containers in one QEMU process with an x86-64
/// domain each (pins, page tables); a split-capable case uses the split-capable model; a generated tree, whose regions
/// reach 2^64 where no process or 48-bit domain can follow, uses the IOVA-only model of type1's rules.
/// </summary>
public static class DmaScenarios
{
    private const string NaiveListener = "naive";
    private const string CoalescingListener = "coalescing";

    /// <summary>DL-01, 02, 04, 05, 06 cases (the default entry limit).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Cases() => ScenarioArbitrary.From(DmaGenerators.Cases, Steps, Size);

    /// <summary>DL-07 cases: entry limits of 1 to 6.</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> TightLimitCases() => ScenarioArbitrary.From(DmaGenerators.TightLimitCases, Steps, Size);

    /// <summary>DL-03 cases: the last view of a case committed into a coalescing listener's container, then a re-layout
    /// of it (a split, A + B -> A', a dirty-log toggle) and back, as explicit views.</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Relayouts() =>
        ScenarioArbitrary.From(
            Arb.From(
                from c in DmaGenerators.Cases.Generator
                from r in DmaGenerators.Relayouts.Generator
                select new RelayoutCase(c, r),
                rc => rc.Case.Shrink().Select(c => rc with { Case = c }).Concat(rc.Relayout.Shrink().Select(r => rc with { Relayout = r }))),
            RelayoutSteps,
            rc => new CaseSize(Size(rc.Case).Count + rc.Relayout.Steps.Length, "placements, transactions, hot-plugs and re-layout steps"));

    /// <summary>A case as steps: both listeners, a container on each, the transactions, and before each transaction the
    /// case names a new container on each listener.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> Steps(DmaCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var transactions = c.Tree is { } tree ? Transactions(TreeSteps.Of(tree)) : Transactions(MemoryMapScenarios.LayoutSteps(c.Layout!));
        var steps = new List<ScenarioStep>(Listeners(c));
        steps.AddRange(Attach(c, "naive0", NaiveListener));
        steps.AddRange(Attach(c, "container0", CoalescingListener));
        steps.AddRange(transactions[0].Setup);
        int next = 1;
        for (int i = 0; i < transactions.Count; i++)
        {
            if (c.Hotplugs.Contains(i))
            {
                int k = next++;
                steps.AddRange(Attach(c, string.Create(CultureInfo.InvariantCulture, $"container{k}"), CoalescingListener));
                steps.AddRange(Attach(c, string.Create(CultureInfo.InvariantCulture, $"naive{k}"), NaiveListener));
            }

            steps.AddRange(transactions[i].Edits);
        }

        return steps;
    }

    private static IReadOnlyList<ScenarioStep> RelayoutSteps(RelayoutCase rc)
    {
        var c = rc.Case;
        var last = (c.Tree is { } tree ? tree.DataSteps()[^1].Build() : c.Layout!.Trees()[^1]).Render();
        var other = rc.Relayout.Apply(last);
        return
        [
            Listeners(c)[1],
            .. Attach(c, "container0", CoalescingListener),
            new ViewStep(last.Ranges) { Note = "the case's last view" },
            new ViewStep(other.Ranges) { Note = rc.Relayout.ToString() },
            new ViewStep(last.Ranges) { Note = "and back" },
        ];
    }

    /// <summary>The size of a case, as a reader counts it.</summary>
    /// <param name="c">The case.</param>
    /// <returns>Its size.</returns>
    public static CaseSize Size(DmaCase c) => c.Tree is { } t
        ? new CaseSize(t.Tree.Placements.Length + t.Operations.Length + c.Hotplugs.Length, "placements, transactions and hot-plugs")
        : new CaseSize(c.Layout!.Operations.Length + c.Hotplugs.Length, "transactions and hot-plugs");

    // Splits a transaction script at its commits: the first transaction carries the setup before its commit.
    private static List<(IReadOnlyList<ScenarioStep> Setup, IReadOnlyList<ScenarioStep> Edits)> Transactions(IReadOnlyList<ScenarioStep> script)
    {
        var result = new List<(IReadOnlyList<ScenarioStep>, IReadOnlyList<ScenarioStep>)>();
        var pending = new List<ScenarioStep>();
        foreach (var step in script)
        {
            pending.Add(step);
            if (step is CommitStep)
            {
                if (result.Count == 0)
                {
                    result.Add((pending.Take(pending.Count - 1).ToList(), [step]));
                }
                else
                {
                    result.Add(([], pending.ToList()));
                }

                pending.Clear();
            }
        }

        return result;
    }

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

    private static IEnumerable<ScenarioStep> Attach(DmaCase c, string name, string listener)
    {
        yield return Container(c, name);
        yield return new HotplugStep(name, listener);
    }

    // What the listeners drive: real type1 containers (an x86-64 domain, pins in the QEMU process) on a realistic
    // machine, the split-capable model for a split-capable case, the IOVA-only type1 rules for a generated tree.
    private static ContainerStep Container(DmaCase c, string name) =>
        c.SplitCapable ? new ContainerStep(name, c.Traits)
        : c.Layout is not null ? new ContainerStep(name, c.Traits) { Domains = [PageTableOptions.Default.Format] }
        : new ContainerStep(name, c.Traits) { IovaOnly = true };
}

/// <summary>A DMA case and a re-layout of its last view (DL-03).</summary>
/// <param name="Case">The case.</param>
/// <param name="Relayout">The re-layout.</param>
public sealed record RelayoutCase(DmaCase Case, Relayout Relayout)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Case}\nre-layout: {Relayout}";
}
