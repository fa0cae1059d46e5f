using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Core;
using Verify.Harness.Execution;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;

namespace Verify.Regressions;

/// <summary>Generated cases as scenarios: every property's cases round-trip through the format and replay cleanly on
/// the real models; a failed outcome's scenario carries its property and replay seed; the store names files by their
/// steps.</summary>
public class GeneratedScenarioTests
{
    public static TheoryData<string> Properties => [.. PropertyCatalogue.All.Select(p => p.Id)];

    /// <summary>Every property's generated scenarios survive a write and a read unchanged and, replayed as a saved file
    /// is (every check, not only the property's own), hold on the real models: so a saved failure replays green once
    /// the model is fixed, and red only for the bug it was saved for.</summary>
    [Theory]
    [MemberData(nameof(Properties))]
    public void GeneratedScenarios_RoundTripAndHoldWithEveryCheck(string id)
    {
        var property = PropertyCatalogue.Get(id);
        foreach (var generated in Gen.Sample(property.Cases().Generator, 6, new Rnd(7UL), 20))
        {
            var scenario = property.ScenarioOf(generated, null);
            var reread = ScenarioReader.Read(ScenarioWriter.Write(scenario));
            Assert.Equal(scenario, reread);
            var report = ScenarioRunner.Run(reread);
            Assert.True(report.Holds, $"{generated}\n{string.Join("\n", report.Problems())}");
        }
    }

    [Fact]
    public void Of_FailedOutcome_CarriesSuitePropertyAndReplaySeed()
    {
        var property = PropertyCatalogue.Get("FV-01");
        var generated = Gen.Sample(property.Cases().Generator, 1, new Rnd(3UL), 10).Single();
        var outcome = new PropertyOutcome
        {
            Property = property,
            Passed = false,
            Tests = 1,
            Report = "failed",
            ShrunkArguments = [generated],
            Replay = new ReplaySeed(1, 3, 10),
        };

        var scenario = outcome.Scenario;

        Assert.NotNull(scenario);
        Assert.Equal(new ScenarioHeader("FV-01 P_FV_01_RenderMatchesOraclePainting: shrunk failure", "FlatView", "FV-01", "1,3,10"), scenario.Header);
        Assert.EndsWith(".json", new RegressionStore("/repo").PathOf(scenario), StringComparison.Ordinal);
        Assert.StartsWith("/repo/tests/Regressions/Cases/FlatView/", new RegressionStore("/repo").PathOf(scenario), StringComparison.Ordinal);
    }

    [Fact]
    public void ShortHash_SameStepsDifferentHeader_IsTheSame()
    {
        var steps = new ScenarioStep[] { new RootStep("root"), new CommitStep() };

        string a = RegressionStore.ShortHash(Scenario.Create(new ScenarioHeader(Replay: "1,1,1"), steps));
        string b = RegressionStore.ShortHash(Scenario.Create(new ScenarioHeader(Replay: "2,3,4"), steps));

        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{10}$", a);
    }

    [Fact]
    public void Save_NewCase_WritesTheWholeFileAndLeavesNoTemporary()
    {
        string root = Directory.CreateTempSubdirectory("verify-store").FullName;
        try
        {
            var store = new RegressionStore(root);
            var scenario = Scenario.Create(new ScenarioHeader(Suite: "FlatView"), [new RootStep("root"), new CommitStep()]);

            string path = store.Save(scenario);

            Assert.Equal(scenario, ScenarioReader.ReadFile(path));
            Assert.Equal(["FlatView/" + Path.GetFileName(path)], store.Cases());
            Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(path)!));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
