using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;

namespace Verify.Regressions;

/// <summary>The conversion of generated cases into scenarios: on the real model every converted case replays
/// cleanly (so the scenario means what the case meant) and survives a write and a read unchanged.</summary>
public class ScenarioCasesTests
{
    public static TheoryData<string> Generators => ["transactions", "layouts", "range lists"];

    [Theory]
    [MemberData(nameof(Generators))]
    public void Run_ConvertedGeneratedCases_HoldOnTheRealModelAndRoundTrip(string generator)
    {
        IEnumerable<object> cases = generator switch
        {
            "transactions" => Gen.Sample(MemoryMapGenerators.TransactionCases.Generator, 40, new Rnd(7UL), 30),
            "layouts" => Gen.Sample(LayoutGenerators.Cases.Generator, 8, new Rnd(7UL), 30),
            _ => Gen.Sample(MemoryMapGenerators.RangeLists.Generator, 40, new Rnd(7UL), 30),
        };

        foreach (var generated in cases)
        {
            var scenario = Scenario.Create(new ScenarioHeader(Suite: "Test"), ScenarioCases.Steps(generated)!);
            var report = ScenarioRunner.Run(scenario);
            var reread = ScenarioReader.Read(ScenarioWriter.Write(scenario));

            Assert.True(report.Holds, $"{generated}\n{string.Join("\n", report.Problems())}");
            Assert.Equal(scenario, reread);
        }
    }

    [Fact]
    public void Of_FailedOutcome_CarriesSuitePropertyAndReplaySeed()
    {
        var tree = Gen.Sample(MemoryMapGenerators.TransactionCases.Generator, 1, new Rnd(3UL), 10).Single();
        var outcome = new PropertyOutcome
        {
            Property = PropertyCatalogue.Get("FV-01"),
            Passed = false,
            Tests = 1,
            Report = "failed",
            ShrunkArguments = [tree],
            Replay = new ReplaySeed(1, 3, 10),
        };

        var scenario = ScenarioCases.Of(outcome);

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
