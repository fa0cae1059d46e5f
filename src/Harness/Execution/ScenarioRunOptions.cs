using Verify.Harness.Implementations;

namespace Verify.Harness.Execution;

/// <summary>How <see cref="ScenarioRunner"/> runs a scenario: against which implementation, with which checks, and
/// whether it writes each step's result. Never part of a file: a scenario says what the models are asked, never how
/// they are built or judged.</summary>
public sealed record ScenarioRunOptions
{
    /// <summary>A replay: the real models, every check, every step's result written, every step run.</summary>
    public static ScenarioRunOptions Default { get; } = new();

    /// <summary>The models the scenario runs against.</summary>
    public ImplementationUnderTest Implementation { get; init; } = ImplementationUnderTest.Model;

    /// <summary>The checks to run, by id; null for every check in <see cref="Checks.CheckCatalogue"/>.</summary>
    public IReadOnlyCollection<string>? Checks { get; init; }

    /// <summary>Whether each step's result is written out (a replay) or skipped (a generated case run for a property).</summary>
    public bool Describe { get; init; } = true;

    /// <summary>Whether the run stops at the first step that breaks a check (a generated case: the rest is noise).</summary>
    public bool StopAtFirstFailure { get; init; }
}
