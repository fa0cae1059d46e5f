using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class DmaListenerPropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_DL_01_ContainersTranslateTheDmaVisiblePages() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-01"), output.WriteLine);

    [Fact]
    public void P_DL_02_EveryIoctlIsLegalForTheBackend() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-02"), output.WriteLine);

    [Fact]
    public void P_DL_03_FunctionallyEqualRelayoutIssuesNoIoctl() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-03"), output.WriteLine);

    [Fact]
    public void P_DL_04_CollateralIsTheMinimumTheHistoryForces() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-04"), output.WriteLine);

    [Fact]
    public void P_DL_05_HotpluggedContainersConvergeAndStayLegal() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-05"), output.WriteLine);

    [Fact]
    public void P_DL_06_NaiveListenerReproducesQemuIoctls() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-06"), output.WriteLine);

    [Fact]
    public void P_DL_07_EntryLimitIsNeverExceededNorHalfApplied() => PropertyAssert.Holds(PropertyCatalogue.Get("DL-07"), output.WriteLine);
}
