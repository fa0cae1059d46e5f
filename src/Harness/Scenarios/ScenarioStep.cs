using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>
/// One step of a scenario: an operation (one record per step kind, named in JSON by <see cref="Kind"/>) and what must
/// hold after it. Each record carries its codec (<see cref="StepKinds"/>) and runs itself on a
/// <see cref="ScenarioMachine"/>; a new step kind is one file plus one line in <see cref="StepKinds.All"/>. Tree edits
/// and machine operations are staged and take effect at the next <see cref="CommitStep"/>, as QEMU's edits take
/// effect at the end of a memory transaction.
/// </summary>
public abstract record ScenarioStep
{
    private protected ScenarioStep()
    {
    }

    /// <summary>The step's key in JSON (<c>define</c>, <c>commit</c>, <c>map</c>, ...): its codec's.</summary>
    public string Kind => StepKinds.For(this).Kind;

    /// <summary>What must hold after the step; <see cref="StepExpectations.None"/> when nothing is recorded.</summary>
    public StepExpectations Expect { get; init; } = StepExpectations.None;

    /// <summary>Optional human note kept with the step (why it is there).</summary>
    public string? Note { get; init; }

    /// <summary>Runs the step on the machine; the result lines go to <see cref="ScenarioMachine.Log"/>.</summary>
    /// <param name="machine">The scenario's hosts.</param>
    /// <exception cref="StepException">The step cannot run in the state the scenario is in.</exception>
    internal abstract void Run(ScenarioMachine machine);
}
