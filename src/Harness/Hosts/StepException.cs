namespace Verify.Harness.Hosts;

/// <summary>A step that cannot run in the state the scenario is in (an undefined name, no tree yet). The runner reports
/// it as the step's error and stops: it is the scenario's mistake, not a model's answer.</summary>
public sealed class StepException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing, naming it.</param>
    public StepException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StepException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing.</param>
    /// <param name="innerException">The cause.</param>
    public StepException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
