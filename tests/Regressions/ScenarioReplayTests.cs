using System.Text.Json;
using Verify.Harness.Execution;
using Verify.Harness.Scenarios;
using Xunit.Abstractions;

namespace Verify.Regressions;

/// <summary>Every committed scenario under <c>Cases/</c> is its own test case, named by its path there: it must
/// read cleanly, write back to the same bytes, and replay with every expectation and invariant holding.</summary>
public class ScenarioReplayTests(ITestOutputHelper output)
{
    private static readonly RegressionStore Store = RegressionStore.Find();

    /// <summary>The committed cases, as paths relative to <c>tests/Regressions/Cases</c>.</summary>
    public static TheoryData<string> Cases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Store.Cases())
            {
                data.Add(file);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replay_CommittedCase_EveryExpectationAndInvariantHolds(string file)
    {
        var scenario = ScenarioReader.ReadFile(Path.Combine(Store.CasesFolder, file));

        var report = ScenarioRunner.Run(scenario);

        output.WriteLine(report.ToText());
        Assert.True(report.Holds, $"{file}:\n{string.Join("\n", report.Problems())}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_CommittedCase_GivesTheFileBackByteForByte(string file)
    {
        string text = File.ReadAllText(Path.Combine(Store.CasesFolder, file));

        string written = ScenarioWriter.Write(ScenarioReader.Read(text));

        // Committed cases are in the writer's canonical form, so a saved case and a hand-edited one diff alike.
        Assert.Equal(text, written);
    }

    [Fact]
    public void Cases_Committed_HoldTheSeedStories()
    {
        Assert.Contains("SeedStories/01-pam-flip-a-plus-b.json", Store.Cases());
        Assert.Contains("SeedStories/02-hotplug-history.json", Store.Cases());
        Assert.Contains("SeedStories/03-passthrough-accounting.json", Store.Cases());
        Assert.Contains("SeedStories/05-superpage-split-4k-unmap.json", Store.Cases());
    }

    [Fact]
    public void Schema_StepDefinitions_ListEveryStepKindTheReaderKnows()
    {
        string path = Path.Combine(Store.Root, "docs", "scenario.schema.json");
        using var schema = JsonDocument.Parse(File.ReadAllText(path));

        var kinds = schema.RootElement.GetProperty("$defs").GetProperty("step").GetProperty("properties")
            .EnumerateObject().Select(p => p.Name).Where(n => n is not ("expect" or "note")).Order(StringComparer.Ordinal);

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema.RootElement.GetProperty("$schema").GetString());
        Assert.Equal(StepKinds.Names.Order(StringComparer.Ordinal), kinds);
    }

    [Fact]
    public void Schema_EveryStepKindsFields_AreItsCodecsFields()
    {
        string path = Path.Combine(Store.Root, "docs", "scenario.schema.json");
        using var schema = JsonDocument.Parse(File.ReadAllText(path));
        var steps = schema.RootElement.GetProperty("$defs").GetProperty("step").GetProperty("properties");

        Assert.All(StepKinds.All, codec =>
        {
            var body = steps.GetProperty(codec.Kind);
            var fields = (body.TryGetProperty("properties", out var p) ? p.EnumerateObject().Select(f => f.Name) : []).Order(StringComparer.Ordinal);
            Assert.True(fields.SequenceEqual(codec.Fields.Order(StringComparer.Ordinal)),
                $"'{codec.Kind}': the schema lists {string.Join(", ", fields)}, the codec {string.Join(", ", codec.Fields.Order(StringComparer.Ordinal))}");
        });
        var expect = schema.RootElement.GetProperty("$defs").GetProperty("expect").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(StepExpectations.Fields.Order(StringComparer.Ordinal), expect);
    }
}
