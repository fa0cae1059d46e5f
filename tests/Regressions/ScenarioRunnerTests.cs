using Verify.Harness.Scenarios;

namespace Verify.Regressions;

/// <summary>What the runner reports for raw ioctls, broken expectations, refused views and steps that cannot run.</summary>
public class ScenarioRunnerTests
{
    private static ScenarioReport Run(string steps) =>
        ScenarioRunner.Run(ScenarioReader.Read($$"""{ "format": "verify-scenario", "version": 1, "steps": [ {{steps}} ] }"""));

    [Fact]
    public void Run_RawCallsOnAContainer_ReturnTheType1Results()
    {
        var report = Run("""
            { "container": { "name": "c0" } },
            { "map": { "container": "c0", "iova": "0x10000", "size": "64K", "region": "ram", "offset": "0x10000" },
              "expect": { "errno": "none", "size": "64K", "ioctls": { "c0": 1 } } },
            { "map": { "container": "c0", "iova": "0x18000", "size": "4K", "region": "ram" }, "expect": { "errno": "EEXIST" } },
            { "unmap": { "container": "c0", "iova": "0x10000", "size": "4K" }, "expect": { "errno": "EINVAL" } },
            { "unmap-all": { "container": "c0" }, "expect": { "errno": "none", "size": "0x10000", "mappings": { "c0": [] } } }
            """); // [0x10000, 0x20000), then [0x18000, 0x19000) overlapping, then a bisecting [0x10000, 0x11000)

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_WrongIoctlCount_IsReportedAsABrokenExpectationOfThatStep()
    {
        var report = Run("""
            { "container": { "name": "c0" } },
            { "map": { "container": "c0", "iova": "0x1000", "size": "4K", "region": "ram" }, "expect": { "ioctls": { "c0": 2 } } }
            """); // [0x1000, 0x2000)

        Assert.False(report.Holds);
        Assert.Equal("c0: 1 ioctl(s), expected 2", Assert.Single(report.Steps[1].BrokenExpectations));
    }

    [Fact]
    public void Run_InvalidExplicitView_IsRefusedAndHolds()
    {
        var report = Run("""
            { "view": { "ranges": [
                { "start": "0x2000", "end": "0x3000", "region": "a", "kind": "ram" },
                { "start": "0x1000", "end": "0x2800", "region": "b", "kind": "ram" } ] } }
            """); // [0x2000, 0x3000) then [0x1000, 0x2800): out of order and overlapping

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.StartsWith("refused: ", report.Steps[0].Result, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_StepThatCannotRun_StopsTheReplayAndSaysWhy()
    {
        var report = Run("""{ "root": { "name": "r" } }, { "move": { "region": "nowhere", "address": "0" } }, { "commit": {} }""");

        Assert.False(report.Holds);
        Assert.Equal(1, report.NotRun);
        Assert.Contains("nowhere", report.Steps[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ListenerOnExplicitViews_MapsTheDmaVisiblePagesOnly()
    {
        var report = Run("""
            { "listener": { "name": "l", "kind": "coalescing" } },
            { "container": { "name": "c0" } },
            { "hotplug": { "container": "c0", "listener": "l" } },
            { "view": { "ranges": [
                { "start": "0x0", "end": "0x1800", "region": "ram", "kind": "ram" },
                { "start": "0x1800", "end": "0x4000", "region": "mmio", "kind": "io" } ] },
              "expect": { "mappings": { "c0": ["[0x0..0x1000) -> ram@0x0 rw"] },
                          "translations": [ { "container": "c0", "iova": "0x1000", "to": null } ] } }
            """); // RAM [0x0, 0x1800) has the page-aligned interior [0x0, 0x1000); i/o [0x1800, 0x4000) is not DMA-able

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_PlanPastTheEntryLimit_IsReportedNotAppliedAndHolds()
    {
        var report = Run("""
            { "listener": { "name": "l", "kind": "coalescing" } },
            { "container": { "name": "c0", "entry-limit": 1 } },
            { "hotplug": { "container": "c0", "listener": "l" } },
            { "view": { "ranges": [
                { "start": "0x0", "end": "0x1000", "region": "a", "kind": "ram" },
                { "start": "0x1000", "end": "0x2000", "region": "b", "kind": "ram" } ] },
              "expect": { "ioctls": { "c0": 0 }, "mappings": { "c0": [] } } }
            """); // two RAM regions [0x0, 0x1000) and [0x1000, 0x2000) need two mappings; the container takes one

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.Contains("plan refused", report.Steps[3].Result, StringComparison.Ordinal);
    }
}
