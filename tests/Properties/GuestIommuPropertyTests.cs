using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class GuestIommuPropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_VI_02_ReplayMakesJoiningContainerMatchDomain()
    {
        var outcome = PropertyAssert.Holds(PropertyCatalogue.Get("VI-02"), output.WriteLine);
        // Past 100 cases FsCheck's whole percentages per label set can round labels away (see EndToEndPropertyTests).
        if (outcome.Tests <= 100)
        {
            var labels = outcome.Classifications.Where(c => c.Count > 0).Select(c => c.Label).ToHashSet();
            Assert.Contains("joins a pre-populated domain", labels);
            Assert.Contains("domain has a 2 MiB leaf", labels);
        }
    }

    [Fact]
    public void P_VI_04_PassthroughAccountingIsNTimesRamOrOnce() => PropertyAssert.Holds(PropertyCatalogue.Get("VI-04"), output.WriteLine);
}
