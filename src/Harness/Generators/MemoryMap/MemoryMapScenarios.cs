using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Layouts;
using Verify.Harness.Scenarios;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>The memory-map properties' generated scenarios: trees and their transactions, realistic machines and
/// theirs, explicit views to validate or simplify, and <c>info mtree -f</c> dumps.</summary>
public static class MemoryMapScenarios
{
    /// <summary>A generated tree, built and committed, then its transactions (FV-01, TD-01..04).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Transactions() =>
        ScenarioArbitrary.From(MemoryMapGenerators.TransactionCases, TreeSteps.Of, TreeSteps.Size);

    /// <summary>A generated tree and its transactions, with a listener registered late, after the middle one (TD-05).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> LateListener() =>
        ScenarioArbitrary.From(MemoryMapGenerators.TransactionCases, c =>
        {
            var steps = TreeSteps.Of(c).ToList();
            int join = c.Operations.Length / 2, commits = 0;
            int at = steps.FindIndex(s => s is CommitStep && commits++ == join);
            steps.Insert(at + 1, new ObserverStep("late"));
            return steps;
        }, TreeSteps.Size);

    /// <summary>A realistic machine (pc, q35, arm virt), committed, then its machine operations one transaction each (FV-06, TD-06).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Layouts() =>
        ScenarioArbitrary.From(LayoutGenerators.Cases, LayoutSteps, c => new CaseSize(c.Operations.Length, "transactions"));

    /// <summary>Lists of flat ranges, about a third invalid, each one <c>view</c> step (FV-02).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> ViewsToValidate() =>
        ScenarioArbitrary.From(MemoryMapGenerators.RangeLists, c => [new ViewStep(c.Ranges)], c => new CaseSize(c.Ranges.Length, "ranges"));

    /// <summary>Valid views to simplify: direct range lists, the same with neighbours that differ only in read-only or
    /// unmergeable, and unsimplified renders of generated trees; each one <c>view</c> step (FV-03, FV-04).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> ViewsToSimplify() =>
        ScenarioArbitrary.From(
            Arb.From(
                Gen.Frequency(
                    (1, MemoryMapGenerators.ValidRangeLists.Generator),
                    (1, from c in MemoryMapGenerators.ValidRangeLists.Generator select NeighboursContinued(c)),
                    (1, from t in MemoryMapGenerators.TreeCases.Generator select new FlatRangesCase(t.Grid, t.Build().RenderUnsimplified().Ranges))),
                c => c.Shrink().Where(s => FlatView.FindDefect(s.Ranges) is null)),
            c => [new ViewStep(c.Ranges)],
            c => new CaseSize(c.Ranges.Length, "ranges"));

    /// <summary>Generated <c>info mtree -f</c> dumps, one <c>mtree-dump</c> step each (FV-05).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> MtreeDumps() =>
        ScenarioArbitrary.From(MtreeTextGenerators.Cases, c => [new MtreeDumpStep(c.Dump)], c => new CaseSize(c.Dump.Sections.Sum(s => s.View.Count), "ranges"));

    /// <summary>A machine, committed, then each operation and a commit.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> LayoutSteps(LayoutCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string ramRegion = c.Layout.Name == "virt" ? "mach-virt.ram" : "pc.ram";
        var steps = new List<ScenarioStep> { new LayoutStep(c.Layout.Name, (ulong)c.Layout.Tree[ramRegion].Size), new CommitStep() };
        foreach (var op in c.Operations)
        {
            steps.Add(new MachineStep(op));
            steps.Add(new CommitStep());
        }

        return steps;
    }

    // Independent attributes rarely make two neighbours that merge but for one flag, so a merge rule that forgets
    // read-only or unmergeable went unnoticed in half the runs: here each range that starts where its predecessor
    // ends continues the predecessor's region at the next offset and keeps only its own read-only and unmergeable.
    private static FlatRangesCase NeighboursContinued(FlatRangesCase c)
    {
        var ranges = c.Ranges.ToBuilder();
        for (int i = 1; i < ranges.Count; i++)
        {
            var (before, r) = (ranges[i - 1], ranges[i]);
            if (before.Range.End == r.Range.Start && before.OffsetInRegion + before.Range.Size < AddressSpace.End)
            {
                ranges[i] = before with
                {
                    Range = r.Range,
                    OffsetInRegion = (ulong)(before.OffsetInRegion + before.Range.Size),
                    ReadOnly = r.ReadOnly,
                    Unmergeable = r.Unmergeable,
                };
            }
        }

        var continued = ranges.ToImmutable();
        return FlatView.FindDefect(continued) is null ? c with { Ranges = continued } : c;
    }
}
