using FsCheck;
using FsCheck.Fluent;

namespace Verify.Harness.Generators.PageTables;

/// <summary>The page-table properties' generated scenarios: one standalone table per split policy and invalidation
/// mode the case runs under (shrinking narrows them), and the case's maps, unmaps, syncs and queue flushes on each.</summary>
public static class PageTableScenarios
{
    /// <summary>General cases (PT-01, 02, 06, 07, 08).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Cases() => From(PageTableGenerators.Cases(), warmIotlb: false);

    /// <summary>General cases under one split policy and one invalidation mode: the page-size choice does not depend on
    /// either (PT-02).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> SingleVariantCases()
    {
        var cases = PageTableGenerators.Cases();
        return From(FsCheck.Fluent.Arb.From(cases.Generator.Select(c => c with { Splits = [c.Splits[0]], Modes = [c.Modes[0]] }), PageTableGenerators.Shrink), warmIotlb: false);
    }

    /// <summary>Cases with a table-page budget, so maps fail in the middle and must roll back (PT-03).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> BudgetCases() => From(PageTableGenerators.Cases(tableBudget: true), warmIotlb: false);

    /// <summary>Cases aimed at partial unmaps of large leaves (PT-04).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> PartialLeafCases() => From(PageTableGenerators.PartialLeafCases(), warmIotlb: false);

    /// <summary>General cases with the device touching every leaf before each map and unmap, and a closing sync and
    /// queue flush (PT-05).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> WarmIotlbCases() => From(PageTableGenerators.Cases(), warmIotlb: true);

    private static Arbitrary<GeneratedScenario> From(Arbitrary<PageTableCase> cases, bool warmIotlb) =>
        ScenarioArbitrary.From(cases, c => c.ToScenarioSteps(warmIotlb), c => new CaseSize(c.Ops.Length, "operations"));
}
