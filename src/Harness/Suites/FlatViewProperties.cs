using Verify.Harness.Generators;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Implementations;
using Verify.Harness.Running;

namespace Verify.Harness.Suites;

/// <summary>FV (docs/properties.md): render, FlatView validation, simplify and <c>info mtree -f</c> text, each a
/// generator of scenarios and the checks it enables.</summary>
[PropertySuite("FlatView")]
public static class FlatViewProperties
{
    private const string Suite = "FlatView";

    /// <summary>FV-01 .. FV-07.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("FV-01", "RenderMatchesOraclePainting", Suite, MemoryMapScenarios.Transactions, ["FV-01"]) { Exercises = ImplementationInterfaces.FlatView, CaseLabels = TreeLabels },
        new("FV-02", "FlatViewIsValidatedAndRefusesInvalidInput", Suite, MemoryMapScenarios.ViewsToValidate, ["FV-02"]),
        new("FV-03", "SimplifyPreservesTranslation", Suite, MemoryMapScenarios.ViewsToSimplify, ["FV-03"]) { Exercises = ImplementationInterfaces.FlatView },
        new("FV-04", "SimplifyIsIdempotentAndComplete", Suite, MemoryMapScenarios.ViewsToSimplify, ["FV-04"]) { Exercises = ImplementationInterfaces.FlatView },
        new("FV-05", "MtreeTextRoundTrips", Suite, MemoryMapScenarios.MtreeDumps, ["FV-05"])
        {
            CaseLabels = g => MtreeTextGenerators.EdgeCases((MtreeTextCase)g.Source).Where(e => e.Holds).Select(e => e.Label),
        },
        new("FV-06", "RealisticLayoutsRenderAsTheOraclePaints", Suite, MemoryMapScenarios.Layouts, ["FV-01"]) { Exercises = ImplementationInterfaces.FlatView, CaseLabels = LayoutLabels },
        new("FV-07", "MtreeTreeTextRoundTrips", Suite, MemoryMapScenarios.Transactions, ["FV-07"])
        {
            CaseLabels = TreeLabels,
            RequiredLabels = [Checks.MemoryMap.TreeTextRoundTrips.Compared],
        },
    ];

    internal static IEnumerable<string> TreeLabels(GeneratedScenario g)
    {
        if (g.Source is TreeTransactionCase c && c.Operations.IsEmpty)
        {
            yield return "no transaction";
        }
    }

    internal static IEnumerable<string> LayoutLabels(GeneratedScenario g)
    {
        if (g.Source is Layouts.LayoutCase c && c.Layout.Name == "virt")
        {
            yield return "arm virt";
        }
    }
}
