using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class Type1PropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_T1_01_ErrnoAndSizeAgreeWithOracle() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-01"), output.WriteLine);

    [Fact]
    public void P_T1_02_FailedCallChangesNothing() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-02"), output.WriteLine);

    [Fact]
    public void P_T1_03_LockedVmMatchesOracle() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-03"), output.WriteLine);

    [Fact]
    public void P_T1_04_NeverUnpinnedWhileReachable() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-04"), output.WriteLine);

    [Fact]
    public void P_T1_05_CloseReturnsEveryPinAndCharge() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-05"), output.WriteLine);

    [Fact]
    public void P_T1_06_MdevPinsReferenceAndUnmapRetries() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-06"), output.WriteLine);

    [Fact]
    public void P_T1_07_NoPinnedPageMigrates() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-07"), output.WriteLine);
}
