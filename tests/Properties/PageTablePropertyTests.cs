using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

/// <summary>Group PT of PROPERTIES.md, one fact per property, at the environment's budget.</summary>
public class PageTablePropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_PT_01_TranslationMatchesOracle() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-01"), output.WriteLine);

    [Fact]
    public void P_PT_02_PageSizeChoiceIsMaximal() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-02"), output.WriteLine);

    [Fact]
    public void P_PT_03_FailedMapChangesNothing() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-03"), output.WriteLine);

    [Fact]
    public void P_PT_04_UnmapReturnsWhatPolicyPrescribes() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-04"), output.WriteLine);

    [Fact]
    public void P_PT_05_NoStaleTranslationAfterSync() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-05"), output.WriteLine);

    [Fact]
    public void P_PT_06_UnchangedPagesTranslateAtEveryStore() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-06"), output.WriteLine);

    [Fact]
    public void P_PT_07_TablePagesFreedWhenEmptyAndOnlyAfterSync() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-07"), output.WriteLine);

    [Fact]
    public void P_PT_08_InvalidationCommandsMatchCostModel() => PropertyAssert.Holds(PropertyCatalogue.Get("PT-08"), output.WriteLine);
}
