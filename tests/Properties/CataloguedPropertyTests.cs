using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

/// <summary>Every catalogued property (docs/properties.md) at the environment's budget, one test case each, named by
/// the catalogue: the test name lives in one place, the property's definition. Filter one with
/// <c>dotnet test tests/Properties --filter "DisplayName~P_FV_01"</c>.</summary>
public class CataloguedPropertyTests(ITestOutputHelper output)
{
    public static TheoryData<string> Properties => [.. PropertyCatalogue.All.Select(p => p.TestName)];

    [Theory]
    [MemberData(nameof(Properties))]
    public void Property_HoldsAtTheBudget(string property) => PropertyAssert.Holds(PropertyCatalogue.Get(property), output.WriteLine);

    // Saved scenarios, CI filters and the README name properties by these; a rename must be a decision, made here.
    private static readonly string[] StableNames =
    [
        "P_DL_01_ContainersTranslateTheDmaVisiblePages",
        "P_DL_02_EveryIoctlIsLegalForTheBackend",
        "P_DL_03_FunctionallyEqualRelayoutIssuesNoIoctl",
        "P_DL_04_CollateralIsTheMinimumTheHistoryForces",
        "P_DL_05_HotpluggedContainersConvergeAndStayLegal",
        "P_DL_06_NaiveListenerReproducesQemuIoctls",
        "P_DL_07_EntryLimitIsNeverExceededNorHalfApplied",
        "P_FV_01_RenderMatchesOraclePainting",
        "P_FV_02_FlatViewIsValidatedAndRefusesInvalidInput",
        "P_FV_03_SimplifyPreservesTranslation",
        "P_FV_04_SimplifyIsIdempotentAndComplete",
        "P_FV_05_MtreeTextRoundTrips",
        "P_FV_06_RealisticLayoutsRenderAsTheOraclePaints",
        "P_FV_07_MtreeTreeTextRoundTrips",
        "P_PT_01_TranslationMatchesOracle",
        "P_PT_02_PageSizeChoiceIsMaximal",
        "P_PT_03_FailedMapChangesNothing",
        "P_PT_04_UnmapReturnsWhatPolicyPrescribes",
        "P_PT_05_NoStaleTranslationAfterSync",
        "P_PT_06_UnchangedPagesTranslateAtEveryStore",
        "P_PT_07_TablePagesFreedWhenEmptyAndOnlyAfterSync",
        "P_PT_08_InvalidationCommandsMatchCostModel",
        "P_T1_01_ErrnoAndSizeAgreeWithOracle",
        "P_T1_02_FailedCallChangesNothing",
        "P_T1_03_LockedVmMatchesOracle",
        "P_T1_04_NeverUnpinnedWhileReachable",
        "P_T1_05_CloseReturnsEveryPinAndCharge",
        "P_T1_06_MdevPinsReferenceAndUnmapRetries",
        "P_T1_07_NoPinnedPageMigrates",
        "P_TD_01_EveryRangeDeletedKeptOrAddedExactlyOnce",
        "P_TD_02_NopsAreEqualPairsWithLogEvents",
        "P_TD_03_DeletesPrecedeAddsInAddressOrder",
        "P_TD_04_ApplyingEventsYieldsNewView",
        "P_TD_05_LateListenerReplayEqualsDiffFromEmpty",
        "P_TD_06_RealisticTransitionsDiffAsTheOracleSays",
        "P_VI_01_EveryDeviceTranslatesAsOracleAfterEveryStep",
        "P_VI_02_ReplayMakesJoiningContainerMatchDomain",
        "P_VI_03_OnlyPermittedTriggersAndEveryPairHandled",
        "P_VI_04_PassthroughAccountingIsNTimesRamOrOnce",
    ];

    [Fact]
    public void Catalogue_TestNames_AreTheStableOnes()
    {
        Assert.Equal(StableNames.Order(StringComparer.Ordinal), PropertyCatalogue.All.Select(p => p.TestName).Order(StringComparer.Ordinal));
    }
}
