using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Type1;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.Harness.Suites;
using Verify.IommuModel.Type1;

namespace Verify.Regressions;

/// <summary>T1 cases as scenarios: converted cases replay cleanly on the real model and survive a write and a read;
/// a T1 property's shrunk failure, saved as a scenario, replays cleanly on the real model and fails again when the same
/// deliberate bug is applied to the replay (a run option, never part of the file).</summary>
public class Type1ScenarioTests
{
    public static TheoryData<string> Generators => ["cases", "pin cases"];

    [Theory]
    [MemberData(nameof(Generators))]
    public void Run_ConvertedType1Cases_HoldOnTheRealModelAndRoundTrip(string generator)
    {
        var arbitrary = generator == "cases" ? Type1Generators.Cases() : Type1Generators.PinCases();

        foreach (var c in Gen.Sample(arbitrary.Generator, 30, new Rnd(11UL), 40))
        {
            var scenario = Scenario.Create(new ScenarioHeader(Suite: "Test"), c.ToScenarioSteps());
            var report = ScenarioRunner.Run(scenario);
            var reread = ScenarioReader.Read(ScenarioWriter.Write(scenario));

            Assert.True(report.Holds, $"{c}\n{string.Join("\n", report.Problems())}");
            Assert.Equal(scenario, reread);
        }
    }

    public static TheoryData<string, Type1Bug> Bugs => new()
    {
        { "T1-06", Type1Bug.PinWithoutReference },
        { "T1-06", Type1Bug.UnmapIgnoresExternalPins },
        { "T1-07", Type1Bug.MigratesPinnedPages },
        { "T1-03", Type1Bug.ChargesReservedPfns },
        { "T1-01", Type1Bug.BisectUnderV2 },
    };

    [Theory]
    [MemberData(nameof(Bugs))]
    public void Replay_ShrunkT1FailureAsScenario_HoldsOnTheRealModelAndFailsWithTheSameBug(string id, Type1Bug bug)
    {
        var outcome = PropertyRunner.Run(Type1Properties.WithBug(id, bug), PropertyBudget.Default with { StartSeed = 1 });
        Assert.False(outcome.Passed, $"{id} with {bug} should fail");

        var scenario = ScenarioCases.Of(outcome);
        Assert.NotNull(scenario);
        var saved = ScenarioReader.Read(ScenarioWriter.Write(scenario));
        var real = ScenarioRunner.Run(saved);
        var broken = ScenarioRunner.Run(saved, new ScenarioRunOptions { Type1Bug = bug });

        Assert.True(real.Holds, $"{ScenarioWriter.Write(saved)}\n{string.Join("\n", real.Problems())}");
        Assert.False(broken.Holds, $"the replay with {bug} held:\n{ScenarioWriter.Write(saved)}");
    }

    [Theory]
    [InlineData(Type1Bug.PinWithoutReference)]
    [InlineData(Type1Bug.UnmapIgnoresExternalPins)]
    public void Replay_SeedStory04WithAPinBug_Fails(Type1Bug bug)
    {
        var story = ScenarioReader.ReadFile(Path.Combine(RegressionStore.Find().CasesFolder, "SeedStories", "04-mdev-pin-references.json"));

        Assert.True(ScenarioRunner.Run(story).Holds);
        Assert.False(ScenarioRunner.Run(story, new ScenarioRunOptions { Type1Bug = bug }).Holds);
    }

    private static ScenarioReport Run(string steps, ScenarioRunOptions? options = null) =>
        ScenarioRunner.Run(ScenarioReader.Read($$"""{ "format": "verify-scenario", "version": 1, "steps": [ {{steps}} ] }"""), options ?? ScenarioRunOptions.Default);

    private const string Process = """{ "process": { "name": "p", "memory": [ { "hva": "0x7f0000000000", "size": "4M", "hpa": "0x100000000" } ] } }""";

    [Fact]
    public void Run_SecondContainerJoinsTheProcess_OracleStopsAndSaysWhy()
    {
        var report = Run(Process + """
            , { "container": { "name": "a", "process": "p" } },
            { "device": { "container": "a", "name": "d", "callback": "unpins-all" } },
            { "container": { "name": "b", "process": "p" } },
            { "map-dma": { "container": "a", "iova": "0x0", "vaddr": "0x7f0000000000", "size": "2M" } }
            """, new ScenarioRunOptions { Type1Bug = Type1Bug.PinWithoutReference });

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.Contains("a: no longer checked against the type1 oracle: another container shares its process", report.Steps[4].Result, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PinTwiceWithoutReferenceBug_TheOracleCatchesTheMissingReference()
    {
        var report = Run(Process + """
            , { "container": { "name": "a", "process": "p" } },
            { "device": { "container": "a", "name": "d", "callback": "unpins-all" } },
            { "map-dma": { "container": "a", "iova": "0x0", "vaddr": "0x7f0000000000", "size": "2M" } },
            { "pin": { "container": "a", "device": "d", "iova": "0x0", "npage": 1 } },
            { "pin": { "container": "a", "device": "d", "iova": "0x0", "npage": 1 } }
            """, new ScenarioRunOptions { Type1Bug = Type1Bug.PinWithoutReference });

        Assert.Equal("a: external pins iova 0x0 -> hpa 0x100000000 x1, the oracle has iova 0x0 -> hpa 0x100000000 x2", Assert.Single(report.Steps[5].BrokenInvariants));
    }

    [Fact]
    public void Run_PinOnSplitCapableContainer_IsAStepError()
    {
        var report = Run("""{ "container": { "name": "s", "bisect": true } }, { "pin": { "container": "s", "device": "d", "iova": "0x0", "npage": 1 } }""");

        Assert.Contains("split-capable", report.Steps[1].Error, StringComparison.Ordinal);
    }
}
