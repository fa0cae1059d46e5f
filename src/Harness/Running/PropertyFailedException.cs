namespace Verify.Harness.Running;

/// <summary>Thrown by <see cref="PropertyAssert.Holds(PropertyDefinition, Action{string})"/> when a property fails; the message is the
/// whole report: FsCheck's text, the shrunk case, the shrunk case as a scenario, where it was saved, and the
/// replay line.</summary>
public sealed class PropertyFailedException : Exception
{
    /// <summary>Creates the exception for a failed outcome.</summary>
    /// <param name="outcome">The failed run.</param>
    /// <param name="savedPath">Where the shrunk case was saved as a scenario, if it was.</param>
    public PropertyFailedException(PropertyOutcome outcome, string? savedPath = null)
        : base(Describe(outcome, savedPath))
    {
        Outcome = outcome;
        SavedPath = savedPath;
    }

    /// <summary>The failed run.</summary>
    public PropertyOutcome Outcome { get; }

    /// <summary>Where the shrunk case was saved, or null.</summary>
    public string? SavedPath { get; }

    /// <summary>The report text of a failed outcome, as the exception message holds it.</summary>
    /// <param name="outcome">The failed run.</param>
    /// <param name="savedPath">Where the shrunk case was saved, if it was.</param>
    /// <returns>The text.</returns>
    public static string Describe(PropertyOutcome outcome, string? savedPath)
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

        try
        {
            if (outcome.Scenario is { } scenario)
            {
                lines.Add("as a scenario (save it with VERIFY_SAVE=1 or verify check --save; replay it with verify replay FILE):");
                lines.Add(Scenarios.ScenarioWriter.Write(scenario).TrimEnd());
            }
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            // The failure report matters more than its scenario form: never lose the one to a bug in the other.
            lines.Add($"(no scenario form: {error.Message})");
        }

        if (savedPath is not null)
        {
            lines.Add("saved: " + savedPath);
        }

        if (outcome.ReplayCommand is { } r)
        {
            lines.Add(r);
        }

        return string.Join(Environment.NewLine, lines);
    }
}
