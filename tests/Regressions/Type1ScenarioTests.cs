using Verify.Harness.Execution;
using Verify.Harness.Implementations;
using Verify.Harness.Scenarios;
using Verify.IommuModel.Type1;

namespace Verify.Regressions;

/// <summary>Type1 scenarios: the mdev seed story fails with a pin bug applied to the replay (an implementation, never part
/// of the file); the oracle follows a container only while it is alone in a declared process, and says when it stops.</summary>
public class Type1ScenarioTests
{
    [Theory]
    [InlineData("type1-pin-without-reference")]
    [InlineData("type1-unmap-ignores-external-pins")]
    public void Replay_SeedStory04WithAPinBug_Fails(string bug)
    {
        var story = ScenarioReader.ReadFile(Path.Combine(RegressionStore.Find().CasesFolder, "SeedStories", "04-mdev-pin-references.json"));

        Assert.True(ScenarioRunner.Run(story).Holds);
        Assert.False(ScenarioRunner.Run(story, Broken(bug)).Holds);
    }

    private static ScenarioRunOptions Broken(string variant) => new() { Implementation = Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == variant).Implementation };

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
            """, Broken("type1-pin-without-reference"));

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
            """, Broken("type1-pin-without-reference"));

        Assert.Contains("[T1-06] a: external pins iova 0x0 -> hpa 0x100000000 x1, the oracle has iova 0x0 -> hpa 0x100000000 x2", report.Steps[5].BrokenInvariants);
    }

    [Fact]
    public void Run_PinOnSplitCapableContainer_IsAStepError()
    {
        var report = Run("""{ "container": { "name": "s", "bisect": true } }, { "pin": { "container": "s", "device": "d", "iova": "0x0", "npage": 1 } }""");

        Assert.Contains("split-capable", report.Steps[1].Error, StringComparison.Ordinal);
    }
}
