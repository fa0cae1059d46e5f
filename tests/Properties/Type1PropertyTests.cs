using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class Type1PropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_T1_01_ErrnoAndSizeAgreeWithOracle() => PropertyAssert.Holds(PropertyCatalogue.Get("T1-01"), output.WriteLine);
}
