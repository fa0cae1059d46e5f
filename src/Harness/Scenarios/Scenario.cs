using System.Collections.Immutable;

namespace Verify.Harness.Scenarios;

/// <summary>
/// A test case as data (docs/scenario-format.md): a header saying where it came from and the steps to run
/// against the models, each with optional expectations. Immutable; read by <see cref="ScenarioReader"/>, written
/// by <see cref="ScenarioWriter"/>, run by <c>ScenarioRunner</c>.
/// </summary>
/// <param name="Version">Format version; <see cref="CurrentVersion"/> for every file this code writes.</param>
/// <param name="Header">Title, suite, property id and replay seed.</param>
/// <param name="Steps">The steps, in order.</param>
public sealed record Scenario(int Version, ScenarioHeader Header, ImmutableArray<ScenarioStep> Steps)
{
    /// <summary>The only version this code reads and writes. New step kinds are added without changing it:
    /// a version 1 file stays a valid file; a reader that meets a kind it does not know refuses the file.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The value of the <c>format</c> field, so a stray JSON file is recognised as not a scenario.</summary>
    public const string FormatName = "verify-scenario";

    /// <summary>A version 1 scenario.</summary>
    /// <param name="header">The header.</param>
    /// <param name="steps">The steps.</param>
    /// <returns>The scenario.</returns>
    public static Scenario Create(ScenarioHeader header, IEnumerable<ScenarioStep> steps) => new(CurrentVersion, header, [.. steps]);

    /// <inheritdoc/>
    public bool Equals(Scenario? other) =>
        other is not null && Version == other.Version && Header == other.Header && Steps.SequenceEqual(other.Steps);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Version, Header, Steps.Length);
}

/// <summary>Where a scenario came from. Every field is optional in a file.</summary>
/// <param name="Title">One line saying what the case shows.</param>
/// <param name="Suite">The property suite that found it (<c>FlatView</c>, <c>Topology</c>, <c>DmaListener</c>).</param>
/// <param name="Property">The catalogue id (<c>FV-01</c>).</param>
/// <param name="Replay">The replay seed (<c>seed,gamma,size</c>) that regenerates the unshrunk case.</param>
public sealed record ScenarioHeader(string? Title = null, string? Suite = null, string? Property = null, string? Replay = null)
{
    /// <summary>The implementation the case was found against when it is not the library's models (a user's, as
    /// <c>exec:COMMAND</c> or the name their test gave it); <c>verify replay FILE --impl</c> replays against it.</summary>
    public string? Implementation { get; init; }
}
