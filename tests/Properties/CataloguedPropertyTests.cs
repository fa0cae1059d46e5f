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
}
