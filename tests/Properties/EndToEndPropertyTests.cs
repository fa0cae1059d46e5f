using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class EndToEndPropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_VI_01_EveryDeviceTranslatesAsOracleAfterEveryStep()
    {
        var outcome = PropertyAssert.Holds(PropertyCatalogue.Get("VI-01"), output.WriteLine);

        // The scripts must reach the interesting events, or the property proves little. FsCheck stamps each distinct
        // label set with a whole percentage, so past 100 cases the (mostly unique) sets round to 0 and labels vanish:
        // the check is only meaningful at the default budget.
        if (outcome.Tests <= 100)
        {
            var labels = outcome.Classifications.Where(c => c.Count > 0).Select(c => c.Label).ToHashSet();
            Assert.Contains("device joins a populated domain", labels);
            Assert.Contains("window>0", labels);
            Assert.Contains("fires SwitchDomain", labels);
        }
    }
}
