namespace Verify.Harness.Scenarios;

/// <summary>The DMA part of the runner: listeners, containers, raw ioctls and their invariants.</summary>
public sealed partial class ScenarioRunner
{
    private void BeforeTransaction(StepContext context)
    {
    }

    private void AfterTransaction(StepContext context)
    {
    }

    private string RunDma(ScenarioStep step, StepContext context) =>
        throw new StepException($"'{step.Kind}' steps need the DMA listener models, which this build does not have yet");

    private void CheckDmaExpectations(ScenarioStep step, StepContext context, Running.Verdict verdict)
    {
    }
}
