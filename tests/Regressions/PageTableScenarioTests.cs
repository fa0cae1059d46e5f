using Verify.Harness.Execution;
using Verify.Harness.Generators.PageTables;
using Verify.Harness.Implementations;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.IommuModel.PageTables;
using Xunit.Abstractions;

namespace Verify.Regressions;

/// <summary>The page-table suite's scenarios: one named table per variant, the device touching its leaves for PT-05;
/// a PT-05 failure caught with a deliberate flush bug, saved as a file, fails on replay against a table with that bug
/// (both PT-05 and PT-08 see it) and passes against the real model.</summary>
public class PageTableScenarioTests(ITestOutputHelper output)
{
    private static readonly ImplementationUnderTest RequestedRangeOnly =
        Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == "page-table-invalidates-requested-range-only").Implementation;

    [Fact]
    public void ToScenarioSteps_SeveralVariants_OneNamedTablePerVariantAndTheDeviceTouchingItsLeaves()
    {
        var map = new MapOp(0x20_0000, 0x4020_0000, 0x20_0000, Protection.ReadWrite);
        var c = new PageTableCase(PageTableOptions.Default, [SplitPolicy.Split, SplitPolicy.Refuse], [InvalidationMode.PerLeaf], [map, new UnmapOp(0x20_1000, 0x1000)]);

        var steps = c.ToScenarioSteps(warmIotlb: true);

        var tables = steps.OfType<Verify.Harness.Scenarios.PageTableStep>().ToList();
        Assert.Equal(["t-split", "t-refuse"], tables.Select(t => t.Name));
        Assert.All(steps, s => Assert.Equal(StepExpectations.None, s.Expect));
        // Per table: a touch, the map, a touch, the unmap, PT-05's closing sync.
        Assert.Equal(2 * 6, steps.Count);
        Assert.Equal(4, steps.OfType<PageTableTouchStep>().Count());
        Assert.Equal(2 * 3, c.ToScenarioSteps(warmIotlb: false).Count);
        var report = ScenarioRunner.Run(Scenario.Create(new ScenarioHeader(), steps));
        Assert.True(report.Holds, report.ToText());
        Assert.Contains("3 device access(es)", report.Steps[3].Result, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedPt05Failure_ReplaysFailingWithTheFlushBugAndPassingWithTheRealModel()
    {
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("PT-05"), PropertyBudget.Default with { StartSeed = 20261121 }, implementation: RequestedRangeOnly);
        Assert.False(outcome.Passed);
        var scenario = outcome.Scenario;
        Assert.NotNull(scenario);
        string folder = Directory.CreateTempSubdirectory("pt-regression").FullName;
        try
        {
            // The file VERIFY_SAVE=1 writes, read back as `dotnet test tests/Regressions` reads it.
            string file = new RegressionStore(folder).Save(scenario);
            var saved = ScenarioReader.ReadFile(file);
            output.WriteLine(File.ReadAllText(file));
            Assert.DoesNotContain("RequestedRangeOnly\"", File.ReadAllText(file), StringComparison.Ordinal);

            var broken = ScenarioRunner.Run(saved, new ScenarioRunOptions { Implementation = RequestedRangeOnly });
            var real = ScenarioRunner.Run(saved);

            output.WriteLine(broken.ToText());
            Assert.False(broken.Holds, "the saved PT-05 failure replays green against the table with the flush bug");
            // PT-05's stale entries, and PT-08's cost model sees the same bug as an invalidation of too little.
            Assert.Contains(broken.Problems(), p => p.Contains("[PT-05]", StringComparison.Ordinal) && p.Contains("the IOTLB", StringComparison.Ordinal));
            Assert.Contains(broken.Problems(), p => p.Contains("[PT-08]", StringComparison.Ordinal) && p.Contains("do not cover exactly the removed leaves", StringComparison.Ordinal));
            Assert.True(real.Holds, string.Join("\n", real.Problems()));
            Assert.InRange(saved.Steps.Length, 3, 10);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
