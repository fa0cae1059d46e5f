using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>
/// How <see cref="ScenarioRunner"/> builds the models a scenario names, for proving that a saved scenario has teeth:
/// the scenario format deliberately has no field for the model's deliberate bugs (a scenario says what the model is
/// asked, never how it is broken), so a test that replays a scenario against a broken model says so here. Never
/// written to a file: a saved failure replays against the real models unless a test asks otherwise.
/// </summary>
public sealed record ScenarioRunOptions
{
    /// <summary>The real models, as every replay of a committed case runs them.</summary>
    public static ScenarioRunOptions Default { get; } = new();

    /// <summary>
    /// Rewrites the options of each <c>page-table</c> step's model table (for instance to set
    /// <see cref="PageTableOptions.FlushBug"/>); the oracle the runner checks the table against still gets the
    /// step's own options. Null keeps them.
    /// </summary>
    public Func<PageTableOptions, PageTableOptions>? PageTables { get; init; }

    /// <summary>A deliberate bug every type1 container of the scenario carries, the vIOMMU's included (and, for
    /// <see cref="Type1Bug.MigratesPinnedPages"/>, every process), to show a saved T1 failure is caught again.</summary>
    public Type1Bug Type1Bug { get; init; } = Type1Bug.None;

    /// <summary>A deliberate shadow-sync defect the scenario's vIOMMU carries, to show a saved VI-01 failure is caught
    /// again.</summary>
    public ShadowSyncBug ShadowSyncBug { get; init; } = ShadowSyncBug.None;
}
