using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Dma;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.MemoryMap.Dma;
using Verify.Oracle.Dma;

namespace Verify.Regressions;

/// <summary>The conversion of generated cases into scenarios: on the real model every converted case replays
/// cleanly (so the scenario means what the case meant) and survives a write and a read unchanged.</summary>
public class ScenarioCasesTests
{
    public static TheoryData<string> Generators => ["transactions", "layouts", "range lists", "dma", "dma tight limit", "dma relayout"];

    [Theory]
    [MemberData(nameof(Generators))]
    public void Run_ConvertedGeneratedCases_HoldOnTheRealModelAndRoundTrip(string generator)
    {
        IEnumerable<object> cases = generator switch
        {
            "transactions" => Gen.Sample(MemoryMapGenerators.TransactionCases.Generator, 40, new Rnd(7UL), 30),
            "layouts" => Gen.Sample(LayoutGenerators.Cases.Generator, 8, new Rnd(7UL), 30),
            "dma" => Gen.Sample(DmaGenerators.Cases.Generator, 6, new Rnd(7UL), 10),
            "dma tight limit" => Gen.Sample(DmaGenerators.TightLimitCases.Generator, 6, new Rnd(7UL), 10),
            "dma relayout" => Gen.Sample(DmaGenerators.Cases.Generator, 6, new Rnd(7UL), 10)
                .Zip(Gen.Sample(DmaGenerators.Relayouts.Generator, 6, new Rnd(9UL), 10), (c, r) => (object)(c, r)),
            _ => Gen.Sample(MemoryMapGenerators.RangeLists.Generator, 40, new Rnd(7UL), 30),
        };

        // FixedGranule over a huge section plans millions of mappings (slow in the planner itself); the conversion
        // does not depend on the granularity, so those cases are left to the DL suite.
        foreach (var generated in cases.Where(g => g is not DmaCase { Granularity: MappingGranularity.FixedGranule }
            and not ValueTuple<DmaCase, Relayout> { Item1.Granularity: MappingGranularity.FixedGranule }))
        {
            var steps = generated is ValueTuple<DmaCase, Relayout> pair ? ScenarioCases.FromRelayout(pair.Item1, pair.Item2) : ScenarioCases.Steps(generated)!;
            if (generated is ValueTuple<DmaCase, Relayout> p && !SameDmaTranslation(p.Item1, p.Item2))
            {
                continue; // DL-03 only claims anything for re-layouts that keep the translation
            }

            var scenario = Scenario.Create(new ScenarioHeader(Suite: "Test"), steps);
            var report = ScenarioRunner.Run(scenario);
            var reread = ScenarioReader.Read(ScenarioWriter.Write(scenario));

            Assert.True(report.Holds, $"{generated}\n{string.Join("\n", report.Problems())}");
            Assert.Equal(scenario, reread);
        }
    }

    private static bool SameDmaTranslation(DmaCase c, Relayout relayout)
    {
        var last = c.Trees()[^1].Render();
        var other = relayout.Apply(last);
        var points = last.Ranges.Concat(other.Ranges).SelectMany(r => new[] { r.Range.Start, r.Range.Last }).Distinct();
        return points.All(a => DmaVisibilityOracle.Translate(last, c.DmaOptions, a) == DmaVisibilityOracle.Translate(other, c.DmaOptions, a));
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
