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
}
