namespace Verify.Regressions;

public class RegressionStoreTests
{
    [Fact]
    public void CasesFolder_IsNotCheckedYet_PlaceholderUntilScenarioFormatLands()
    {
        // The scenario store arrives with issue 6; this project exists so the layout is complete.
        Assert.True(Directory.Exists(AppContext.BaseDirectory));
    }
}
