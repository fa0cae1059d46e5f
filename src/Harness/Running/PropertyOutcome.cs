using System.Collections.Immutable;
using System.Text;
using Verify.Harness.Core;

namespace Verify.Harness.Running;

/// <summary>What one property run found.</summary>
public sealed record PropertyOutcome
{
    /// <summary>The property that ran.</summary>
    public required PropertyDefinition Property { get; init; }

    /// <summary>Whether every case held.</summary>
    public required bool Passed { get; init; }

    /// <summary>Whether the run gave up because too many cases were discarded.</summary>
    public bool Exhausted { get; init; }

    /// <summary>Whether the caller's time ran out before the budget's cases did: the <see cref="Tests"/> cases that ran
    /// held, and the rest were never run, so this is neither a pass nor a failure.</summary>
    public bool Stopped { get; init; }

    /// <summary>Cases run.</summary>
    public required int Tests { get; init; }

    /// <summary>Shrink steps taken after the failure.</summary>
    public int Shrinks { get; init; }

    /// <summary>The classification table, most frequent first.</summary>
    public ImmutableArray<Classification> Classifications { get; init; } = [];

    /// <summary>FsCheck's own report (failure text, or the pass summary).</summary>
    public required string Report { get; init; }

    /// <summary>The shrunk counterexample, one argument per line, as the case types print themselves.</summary>
    public string? Counterexample { get; init; }

    /// <summary>The shrunk counterexample's arguments as objects (the generated case records), so a failure can be
    /// turned into a scenario (<see cref="Scenario"/>); empty when the run passed.</summary>
    public ImmutableArray<object?> ShrunkArguments { get; init; } = [];

    /// <summary>The exception message of the failing case, if it threw.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>The seed and size that reproduce the last failing step.</summary>
    public ReplaySeed? Replay { get; init; }

    /// <summary>The one-line replay command printed with every failure.</summary>
    public string? ReplayCommand =>
        Replay is not { } r ? null
        : Implementation is { } impl && impl.StartsWith("exec:", StringComparison.Ordinal)
            ? $"replay: verify check --impl '{impl.Replace("'", "'\\''", StringComparison.Ordinal)}' --property {Property.Id} --replay \"{r}\""
            : Implementation is { } name
                ? $"replay: VERIFY_REPLAY=\"{r}\" and run the failing test again (it replays {Property.TestName} against {name})"
                : $"replay: VERIFY_REPLAY=\"{r}\" dotnet test tests/Properties --filter \"DisplayName~{Property.TestName}\"";

    /// <summary>The shrunk case, when the property failed on one.</summary>
    public Generators.GeneratedScenario? Shrunk => ShrunkArguments.OfType<Generators.GeneratedScenario>().FirstOrDefault();

    /// <summary>The shrunk case as a scenario file would hold it, headed with the property and the replay seed.</summary>
    public Scenarios.Scenario? Scenario => Shrunk is { } g ? Property.ScenarioOf(g, Replay, Implementation) : null;

    /// <summary>The implementation the property ran against when it is not the library's models, else null.</summary>
    public string? Implementation { get; init; }

    /// <summary>The classification table as text, one row per label.</summary>
    /// <returns>Rows like <c> 42.0% adjacent</c>; empty when nothing was classified.</returns>
    public string ClassificationTable()
    {
        var text = new StringBuilder();
        foreach (var c in Classifications)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{c.Percent,6:0.0}% {c.Label}").AppendLine();
        }

        return text.ToString();
    }
}
