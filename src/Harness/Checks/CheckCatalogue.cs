using System.Collections.Immutable;
using Verify.Harness.Checks.Dma;
using Verify.Harness.Checks.GuestIommu;
using Verify.Harness.Checks.MemoryMap;
using Verify.Harness.Checks.PageTables;
using Verify.Harness.Checks.Topology;
using Verify.Harness.Checks.Type1;

namespace Verify.Harness.Checks;

/// <summary>Every check, by catalogue id (docs/properties.md). A property enables some of them; a replay runs them all.
/// A new check is its class plus one line here.</summary>
public static class CheckCatalogue
{
    /// <summary>Each check's id and how to make a fresh one for a run.</summary>
    public static ImmutableArray<(string Id, Func<ScenarioCheck> Create)> All { get; } =
    [
        ("FV-01", () => new RenderMatchesPainting()),
        ("FV-02", () => new ViewIsValidated()),
        ("FV-03", () => new SimplifyPreservesTranslation()),
        ("FV-04", () => new SimplifyIsCanonical()),
        ("FV-05", () => new MtreeTextRoundTrips()),
        ("FV-07", () => new TreeTextRoundTrips()),
        ("TD-01", () => new EveryRangeOnce()),
        ("TD-02", () => new NopsAreEqualPairs()),
        ("TD-03", () => new DeletesPrecedeAdds()),
        ("TD-04", () => new ApplyingEventsYieldsNewView()),
        ("TD-05", () => new LateListenerReplay()),
        ("DL-01", () => new ContainersTranslateTheView()),
        ("DL-02", () => new EveryIoctlIsLegal()),
        ("DL-03", () => new EqualRelayoutIsFree()),
        ("DL-04", () => new CollateralIsMinimal()),
        ("DL-05", () => new HotplugConverges()),
        ("DL-06", () => new NaiveReproducesQemu()),
        ("DL-07", () => new EntryLimitHolds()),
        ("PT-01", () => new TranslationMatchesOracle()),
        ("PT-02", () => new PageSizeChoiceIsMaximal()),
        ("PT-03", () => new FailedMapChangesNothing()),
        ("PT-04", () => new UnmapReturnsWhatPolicyPrescribes()),
        ("PT-05", () => new NoStaleTranslationAfterSync()),
        ("PT-06", () => new UnchangedPagesTranslateAtEveryStore()),
        ("PT-07", () => new TablePagesFreedWhenEmptyAndOnlyAfterSync()),
        ("PT-08", () => new InvalidationCommandsMatchCostModel()),
        ("T1-01", () => new ResultsAgreeWithOracle()),
        ("T1-02", () => new FailedCallChangesNothing()),
        ("T1-03", () => new LockedVmMatchesOracle()),
        ("T1-04", () => new NeverUnpinnedWhileReachable()),
        ("T1-05", () => new CloseReturnsEveryPinAndCharge()),
        ("T1-06", () => new MdevPinsReferenceAndUnmapRetries()),
        ("T1-07", () => new NoPinnedPageMigrates()),
        ("VI-01", () => new EffectiveTranslationMatchesOracle()),
        ("VI-03", () => new LifecycleMatchesOracle()),
        ("VI-04", () => new PassthroughAccounting()),
    ];

    /// <summary>Every check id.</summary>
    public static ImmutableArray<string> Ids { get; } = [.. All.Select(c => c.Id)];

    /// <summary>Fresh instances of the checks named, or of all of them.</summary>
    /// <param name="ids">Check ids, or null for every check.</param>
    /// <returns>The checks, in catalogue order.</returns>
    /// <exception cref="ArgumentException">An id names no check.</exception>
    public static IReadOnlyList<ScenarioCheck> Create(IReadOnlyCollection<string>? ids)
    {
        if (ids is not null && ids.FirstOrDefault(id => !Ids.Contains(id)) is { } unknown)
        {
            throw new ArgumentException($"no check has id '{unknown}'; the checks are {string.Join(", ", Ids)}", nameof(ids));
        }

        return [.. All.Where(c => ids is null || ids.Contains(c.Id)).Select(c => c.Create())];
    }
}
