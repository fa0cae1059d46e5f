using Verify.Harness.Hosts;

namespace Verify.Harness.Checks;

/// <summary>
/// One catalogued check (docs/properties.md): what must hold after the steps of a scenario, judged against the
/// oracles from what the hosts show. A property enables some checks; replaying a saved file runs them all. A check
/// is written once and is the same code for a generated case and for a saved one.
/// </summary>
/// <remarks>A new instance runs each scenario, so a check may keep state between steps (what it saw before).</remarks>
public abstract class ScenarioCheck
{
    /// <summary>Creates the check.</summary>
    /// <param name="id">The catalogue id it implements (<c>PT-05</c>).</param>
    protected ScenarioCheck(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
    }

    /// <summary>The catalogue id (<c>FV-01</c>); failures are prefixed with it.</summary>
    public string Id { get; }

    /// <summary>Called once before the first step, to watch a host's events (a page table's PTE stores).</summary>
    /// <param name="machine">The scenario's machine.</param>
    public virtual void Attach(ScenarioMachine machine)
    {
    }

    /// <summary>Called before each step runs, to note what the step will be judged against.</summary>
    /// <param name="context">The step about to run.</param>
    public virtual void Before(CheckContext context)
    {
    }

    /// <summary>Called after each step that ran; records every broken expectation.</summary>
    /// <param name="context">The step that ran.</param>
    public abstract void After(CheckContext context);

    /// <inheritdoc/>
    public override string ToString() => Id;
}
