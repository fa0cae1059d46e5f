using Verify.Harness.Generators.PageTables;
using Verify.Harness.Implementations;
using Verify.Harness.Running;

namespace Verify.Harness.Suites;

/// <summary>PT (docs/properties.md): host IOMMU page tables and the IOTLB, every general case under every split
/// policy and invalidation mode; the format, live-leaf and sub-table policies, strict or lazy, are generated.</summary>
[PropertySuite("PageTables")]
public static class PageTableProperties
{
    private const string Suite = "PageTables";

    /// <summary>PT-01 .. PT-08.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("PT-01", "TranslationMatchesOracle", Suite, PageTableScenarios.Cases, ["PT-01"]) { Exercises = ImplementationInterfaces.PageTable },
        new("PT-02", "PageSizeChoiceIsMaximal", Suite, PageTableScenarios.SingleVariantCases, ["PT-02"]),
        new("PT-03", "FailedMapChangesNothing", Suite, PageTableScenarios.BudgetCases, ["PT-03"]),
        new("PT-04", "UnmapReturnsWhatPolicyPrescribes", Suite, PageTableScenarios.PartialLeafCases, ["PT-04"]) { Exercises = ImplementationInterfaces.PageTable },
        new("PT-05", "NoStaleTranslationAfterSync", Suite, PageTableScenarios.WarmIotlbCases, ["PT-05"]) { Exercises = ImplementationInterfaces.PageTable },
        new("PT-06", "UnchangedPagesTranslateAtEveryStore", Suite, PageTableScenarios.Cases, ["PT-06"]),
        new("PT-07", "TablePagesFreedWhenEmptyAndOnlyAfterSync", Suite, PageTableScenarios.Cases, ["PT-07"]),
        new("PT-08", "InvalidationCommandsMatchCostModel", Suite, PageTableScenarios.Cases, ["PT-08"]),
    ];
}
