using Verify.Harness.Generators.Type1;
using Verify.Harness.Running;

namespace Verify.Harness.Suites;

/// <summary>T1 (docs/properties.md): the VFIO type1 container against the page-by-page type1 oracle; most cases run
/// under v1 and v2. T1-07 (no pinned page migrates) is docs/semantics.md 5.3's reason for pinning.</summary>
[PropertySuite("Type1")]
public static class Type1Properties
{
    private const string Suite = "Type1";

    /// <summary>T1-01 .. T1-07.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("T1-01", "ErrnoAndSizeAgreeWithOracle", Suite, Type1Scenarios.Cases, ["T1-01"]),
        new("T1-02", "FailedCallChangesNothing", Suite, Type1Scenarios.Cases, ["T1-02"]),
        new("T1-03", "LockedVmMatchesOracle", Suite, Type1Scenarios.AccountingCases, ["T1-03"]),
        new("T1-04", "NeverUnpinnedWhileReachable", Suite, Type1Scenarios.Cases, ["T1-04"]),
        new("T1-05", "CloseReturnsEveryPinAndCharge", Suite, Type1Scenarios.ClosedCases, ["T1-05"]),
        new("T1-06", "MdevPinsReferenceAndUnmapRetries", Suite, Type1Scenarios.PinCases, ["T1-06"]),
        new("T1-07", "NoPinnedPageMigrates", Suite, Type1Scenarios.PinCases, ["T1-07"]),
    ];
}
