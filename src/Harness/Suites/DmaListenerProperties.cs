using Verify.Harness.Generators;
using Verify.Harness.Generators.Dma;
using Verify.Harness.Implementations;
using Verify.Harness.Running;
using Verify.Vfio;

namespace Verify.Harness.Suites;

/// <summary>DL (docs/properties.md): QEMU's naive DMA listener and the coalescing listener against the oracle, over
/// transactions on generated trees and realistic machines, with hot-plugged containers.</summary>
[PropertySuite("DmaListener")]
public static class DmaListenerProperties
{
    private const string Suite = "DmaListener";

    /// <summary>DL-01 .. DL-07.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("DL-01", "ContainersTranslateTheDmaVisiblePages", Suite, DmaScenarios.Cases, ["DL-01"]) { Exercises = ImplementationInterfaces.Listener, CaseLabels = Labels },
        new("DL-02", "EveryIoctlIsLegalForTheBackend", Suite, DmaScenarios.Cases, ["DL-02"]) { Exercises = ImplementationInterfaces.Listener, CaseLabels = Labels },
        new("DL-03", "FunctionallyEqualRelayoutIssuesNoIoctl", Suite, DmaScenarios.Relayouts, ["DL-03"]) { Exercises = ImplementationInterfaces.Listener },
        new("DL-04", "CollateralIsTheMinimumTheHistoryForces", Suite, DmaScenarios.Cases, ["DL-04"]) { Exercises = ImplementationInterfaces.Listener, CaseLabels = Labels },
        new("DL-05", "HotpluggedContainersConvergeAndStayLegal", Suite, DmaScenarios.Cases, ["DL-05"]) { Exercises = ImplementationInterfaces.Listener, CaseLabels = Labels },
        new("DL-06", "NaiveListenerReproducesQemuIoctls", Suite, DmaScenarios.Cases, ["DL-06"]) { CaseLabels = Labels },
        new("DL-07", "EntryLimitIsNeverExceededNorHalfApplied", Suite, DmaScenarios.TightLimitCases, ["DL-07"]) { Exercises = ImplementationInterfaces.Listener, CaseLabels = Labels },
    ];

    private static IEnumerable<string> Labels(GeneratedScenario g)
    {
        if (g.Source is not DmaCase c)
        {
            yield break;
        }

        if (c.Layout is not null) { yield return "realistic machine"; }
        if (c.HostPageSize == 0x1_0000) { yield return "64 KiB host pages"; }
        if (c.SplitCapable) { yield return "split-capable backend"; }
        if (c.Granularity != MappingGranularity.PerRange) { yield return $"granularity {c.Granularity}"; }
        if (!c.Hotplugs.IsEmpty) { yield return "with hot-plug"; }
    }
}
