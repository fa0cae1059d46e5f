namespace Verify.Harness.Running;

/// <summary>Thrown by <see cref="PropertyAssert.Holds"/> when a property fails; the message is the
/// whole report: FsCheck's text, the shrunk case as a scenario, and the replay line.</summary>
public sealed class PropertyFailedException : Exception
{
    /// <summary>Creates the exception for a failed outcome.</summary>
    /// <param name="outcome">The failed run.</param>
    public PropertyFailedException(PropertyOutcome outcome)
        : base(Describe(outcome)) => Outcome = outcome;

    /// <summary>The failed run.</summary>
    public PropertyOutcome Outcome { get; }

    private static string Describe(PropertyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var lines = new List<string> { outcome.Report.TrimEnd() };
        if (outcome.FailureMessage is { } message)
        {
            lines.Add("exception: " + message);
        }

        if (outcome.Counterexample is { } c)
        {
            lines.Add("shrunk case:");
            lines.Add(c);
        }

        if (outcome.ReplayCommand is { } r)
        {
            lines.Add(r);
        }

        return string.Join(Environment.NewLine, lines);
    }
}
