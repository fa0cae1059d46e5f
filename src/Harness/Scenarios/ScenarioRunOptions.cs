using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>How <see cref="ScenarioRunner"/> runs a scenario, beyond what the file says: never written to a file, so a
/// saved failure replays against the real models unless a test asks otherwise.</summary>
public sealed record ScenarioRunOptions
{
    /// <summary>The real models.</summary>
    public static ScenarioRunOptions Default { get; } = new();

    /// <summary>A deliberate bug every type1 container of the scenario carries (and, for
    /// <see cref="Type1Bug.MigratesPinnedPages"/>, every process), to show a saved T1 failure is caught again.</summary>
    public Type1Bug Type1Bug { get; init; } = Type1Bug.None;
}
