using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.PageTables;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.Harness.Suites;
using Verify.IommuModel.PageTables;
using Xunit.Abstractions;

namespace Verify.Regressions;

/// <summary>The page-table suite's shrunk failures as scenarios: a converted case means on the real model what the
/// case meant (it replays cleanly and survives a write and a read), and a PT-05 failure caught with a deliberate
/// flush bug, saved as a file, fails on replay against a table with that bug and passes against the real model.</summary>
public class PageTableScenarioTests(ITestOutputHelper output)
{
    private static readonly ScenarioRunOptions RequestedRangeOnly =
        new() { PageTables = o => o with { FlushBug = IotlbFlushBug.RequestedRangeOnly } };

    public static TheoryData<string> Generators => ["general", "partial leaf", "table budget"];

    [Theory]
    [MemberData(nameof(Generators))]
    public void Run_ConvertedPageTableCases_HoldOnTheRealModelAndRoundTrip(string generator)
    {
        var arbitrary = generator switch
        {
            "partial leaf" => PageTableGenerators.PartialLeafCases(),
            "table budget" => PageTableGenerators.Cases(tableBudget: true),
            _ => PageTableGenerators.Cases(),
        };

        foreach (var generated in Gen.Sample(arbitrary.Generator, 12, new Rnd(7UL), 12))
        {
            var scenario = Scenario.Create(new ScenarioHeader(Suite: "Test"), ScenarioCases.Steps(generated)!);
            var report = ScenarioRunner.Run(scenario);
            var reread = ScenarioReader.Read(ScenarioWriter.Write(scenario));

            Assert.True(report.Holds, $"{generated}\n{string.Join("\n", report.Problems())}");
            Assert.Equal(scenario, reread);
        }
    }

    [Fact]
    public void ToScenarioSteps_SeveralVariants_OneNamedTablePerVariantAndNoBugRecorded()
    {
        var map = new MapOp(0x20_0000, 0x4020_0000, 0x20_0000, Protection.ReadWrite);
        var c = new PageTableCase(
            PageTableOptions.Default with { FlushBug = IotlbFlushBug.RequestedRangeOnly },
            [SplitPolicy.Split, SplitPolicy.Refuse],
            [InvalidationMode.PerLeaf],
            [map, new UnmapOp(0x20_1000, 0x1000)]);

        var steps = c.ToScenarioSteps();

        var tables = steps.OfType<Verify.Harness.Scenarios.PageTableStep>().ToList();
        Assert.Equal(["t-split", "t-refuse"], tables.Select(t => t.Name));
        Assert.All(tables, t => Assert.Equal(IotlbFlushBug.None, t.Options.FlushBug));
        Assert.All(steps, s => Assert.Equal(StepExpectations.None, s.Expect));
        // Per table: the map, three device accesses to the 2M leaf, the unmap, PT-05's closing sync.
        Assert.Equal(2 * 7, steps.Count);
        Assert.Equal([0x20_0000UL, 0x30_0000UL, 0x3f_f000UL], steps.OfType<PageTableAccessStep>().Where(a => a.Table == "t-split").Select(a => a.Iova));
    }

    [Fact]
    public void SavedPt05Failure_ReplaysFailingWithTheFlushBugAndPassingWithTheRealModel()
    {
        var outcome = PropertyRunner.Run(
            PageTableProperties.NoStaleTranslationAfterSync(IotlbFlushBug.RequestedRangeOnly),
            PropertyBudget.Default with { StartSeed = 20261121 });
        Assert.False(outcome.Passed);
        var scenario = ScenarioCases.Of(outcome);
        Assert.NotNull(scenario);
        string folder = Directory.CreateTempSubdirectory("pt-regression").FullName;
        try
        {
            // The file VERIFY_SAVE=1 writes, read back as `dotnet test tests/Regressions` reads it.
            string file = new RegressionStore(folder).Save(scenario);
            var saved = ScenarioReader.ReadFile(file);
            output.WriteLine(File.ReadAllText(file));
            Assert.DoesNotContain("RequestedRangeOnly\"", File.ReadAllText(file), StringComparison.Ordinal);

            var broken = ScenarioRunner.Run(saved, RequestedRangeOnly);
            var real = ScenarioRunner.Run(saved);

            output.WriteLine(broken.ToText());
            Assert.False(broken.Holds, "the saved PT-05 failure replays green against the table with the flush bug");
            // PT-05's stale entries, and PT-08's cost model sees the same bug as an invalidation of too little.
            Assert.Contains(broken.Problems(), p => p.Contains("IOTLB still holds", StringComparison.Ordinal));
            Assert.Contains(broken.Problems(), p => p.Contains("do not cover exactly the removed leaves", StringComparison.Ordinal));
            Assert.True(real.Holds, string.Join("\n", real.Problems()));
            Assert.InRange(saved.Steps.Length, 3, 10);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
