using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class TopologyPropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_TD_01_EveryRangeDeletedKeptOrAddedExactlyOnce() => PropertyAssert.Holds(PropertyCatalogue.Get("TD-01"), output.WriteLine);

    [Fact]
    public void P_TD_02_NopsAreEqualPairsWithLogEvents() => PropertyAssert.Holds(PropertyCatalogue.Get("TD-02"), output.WriteLine);

    [Fact]
    public void P_TD_03_DeletesPrecedeAddsInAddressOrder() => PropertyAssert.Holds(PropertyCatalogue.Get("TD-03"), output.WriteLine);

    [Fact]
    public void P_TD_04_ApplyingEventsYieldsNewView() => PropertyAssert.Holds(PropertyCatalogue.Get("TD-04"), output.WriteLine);

    [Fact]
    public void P_TD_05_LateListenerReplayEqualsDiffFromEmpty() => PropertyAssert.Holds(PropertyCatalogue.Get("TD-05"), output.WriteLine);

    [Fact]
    public void P_TD_06_RealisticTransitionsDiffAsTheOracleSays() => PropertyAssert.Holds(PropertyCatalogue.Get("TD-06"), output.WriteLine);
}
