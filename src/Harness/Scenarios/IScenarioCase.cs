namespace Verify.Harness.Scenarios;

/// <summary>
/// A generated case that knows its own scenario form. A new case type (the DMA listener cases, later page-table
/// and guest-IOMMU cases) implements this next to its generator, and its suite's shrunk failures are printed,
/// saved and replayed without touching <see cref="ScenarioCases"/>.
/// </summary>
public interface IScenarioCase
{
    /// <summary>The steps that make the models do what this case does: what they are asked, never what they answered.</summary>
    /// <returns>The steps.</returns>
    IReadOnlyList<ScenarioStep> ToScenarioSteps();
}
