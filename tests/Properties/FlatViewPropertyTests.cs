using Verify.Harness.Running;
using Xunit.Abstractions;

namespace Verify.Properties;

public class FlatViewPropertyTests(ITestOutputHelper output)
{
    [Fact]
    public void P_FV_01_RenderMatchesOraclePainting() => PropertyAssert.Holds(PropertyCatalogue.Get("FV-01"), output.WriteLine);

    [Fact]
    public void P_FV_02_FlatViewIsValidatedAndRefusesInvalidInput() => PropertyAssert.Holds(PropertyCatalogue.Get("FV-02"), output.WriteLine);

    [Fact]
    public void P_FV_03_SimplifyPreservesTranslation() => PropertyAssert.Holds(PropertyCatalogue.Get("FV-03"), output.WriteLine);

    [Fact]
    public void P_FV_04_SimplifyIsIdempotentAndComplete() => PropertyAssert.Holds(PropertyCatalogue.Get("FV-04"), output.WriteLine);

    [Fact]
    public void P_FV_06_RealisticLayoutsRenderAsTheOraclePaints() => PropertyAssert.Holds(PropertyCatalogue.Get("FV-06"), output.WriteLine);
}
