using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Implementations;
using Verify.Harness.Running;

namespace Verify.Harness.Suites;

/// <summary>TD (docs/properties.md): the topology diff against the oracle's set-semantics diff, on every transaction
/// of generated trees and realistic machines, and a late listener's replay.</summary>
[PropertySuite("Topology")]
public static class TopologyProperties
{
    private const string Suite = "Topology";

    /// <summary>TD-01 .. TD-06.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("TD-01", "EveryRangeDeletedKeptOrAddedExactlyOnce", Suite, MemoryMapScenarios.Transactions, ["TD-01"]) { Exercises = ImplementationInterfaces.FlatView, CaseLabels = FlatViewProperties.TreeLabels },
        new("TD-02", "NopsAreEqualPairsWithLogEvents", Suite, MemoryMapScenarios.Transactions, ["TD-02"]) { Exercises = ImplementationInterfaces.FlatView, CaseLabels = FlatViewProperties.TreeLabels },
        new("TD-03", "DeletesPrecedeAddsInAddressOrder", Suite, MemoryMapScenarios.Transactions, ["TD-03"]) { Exercises = ImplementationInterfaces.FlatView, CaseLabels = FlatViewProperties.TreeLabels },
        new("TD-04", "ApplyingEventsYieldsNewView", Suite, MemoryMapScenarios.Transactions, ["TD-04"]) { Exercises = ImplementationInterfaces.FlatView, CaseLabels = FlatViewProperties.TreeLabels },
        new("TD-05", "LateListenerReplayEqualsDiffFromEmpty", Suite, MemoryMapScenarios.LateListener, ["TD-05"]) { Exercises = ImplementationInterfaces.FlatView },
        new("TD-06", "RealisticTransitionsDiffAsTheOracleSays", Suite, MemoryMapScenarios.Layouts, ["TD-01", "TD-02", "TD-03", "TD-04"])
        {
            Exercises = ImplementationInterfaces.FlatView,
            CaseLabels = FlatViewProperties.LayoutLabels,
        },
    ];
}
