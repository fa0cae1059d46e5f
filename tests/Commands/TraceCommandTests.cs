using System.Text.Json.Nodes;

namespace Verify.Commands;

/// <summary><c>verify trace</c> on a log in QEMU's trace format: windows, planner, mismatches and exit codes.</summary>
public class TraceCommandTests
{
    private static string Example => Path.Combine(VerifyProcess.Repository, "docs", "examples", "pam-flip.trace.log");

    [Fact]
    public void Trace_PamFlipExample_ShowsTheWindowsAndThePlannersOneMap()
    {
        var run = VerifyProcess.Run("trace", Example, "--json");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var json = JsonNode.Parse(run.Output)!;
        Assert.Equal([192m, 28m], json["windows"]!.AsArray().Select(w => (decimal)w!["pages"]!));
        var flip = json["bursts"]!.AsArray()[1]!;
        Assert.Equal((3, 220m, 1, 0m), ((int)flip["ioctls"]!, (decimal)flip["collateralPages"]!, (int)flip["plannerIoctls"]!, (decimal)flip["plannerCollateralPages"]!));
        Assert.Equal(1, (int)json["unknownEvents"]!["vfio_region_mmap"]!);
    }

    [Fact]
    public void Trace_Html_DrawsEachBurstsCallsAndEveryWindowOverItsUnmap()
    {
        string file = Path.Combine(Path.GetTempPath(), $"verify-trace-{Guid.NewGuid():N}.html");

        var run = VerifyProcess.Run("trace", Example, "--html", file);

        Assert.Equal(0, run.ExitCode);
        string html = File.ReadAllText(file);
        var windows = System.Text.RegularExpressions.Regex.Matches(html, "<rect class=\"window\" data-lane=\"burst-1\" data-start=\"(0x[0-9a-f]+)\" data-end=\"(0x[0-9a-f]+)\" data-step=\"(\\d+)\"");
        var unmaps = System.Text.RegularExpressions.Regex.Matches(html, "<rect class=\"unmap\" data-lane=\"burst-1\" data-start=\"(0x[0-9a-f]+)\" data-end=\"(0x[0-9a-f]+)\" data-step=\"(\\d+)\"");
        Assert.Equal(2, windows.Count);
        Assert.All(windows, w => Assert.Contains(unmaps, u => u.Groups[3].Value == w.Groups[3].Value
            && Convert.ToUInt64(u.Groups[1].Value, 16) <= Convert.ToUInt64(w.Groups[1].Value, 16)
            && Convert.ToUInt64(w.Groups[2].Value, 16) <= Convert.ToUInt64(u.Groups[2].Value, 16)));
        Assert.Equal((192L + 28) * 4096, windows.Sum(w => (long)(Convert.ToUInt64(w.Groups[2].Value, 16) - Convert.ToUInt64(w.Groups[1].Value, 16))));
    }

    [Fact]
    public void Trace_MapOverALiveMappingTracedAsSuccess_ExitsOneNamingTheLine()
    {
        string log = Path.GetTempFileName();
        File.WriteAllText(log, """
            vfio_listener_region_add_ram region_add [ram] 0x0 - 0xfffff [0x7f0000000000]
            vfio_listener_region_add_ram region_add [ram] 0x80000 - 0x8ffff [0x7f0000080000]
            """);

        var run = VerifyProcess.Run("trace", log);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("1 with a different result", run.Output, StringComparison.Ordinal);
        Assert.Contains("EEXIST", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--type1", "v3", "verify trace: --type1 v3: expected v1 or v2")]
    [InlineData("--host-page", "8K", "verify trace: --host-page 8K: expected 4K or 64K")]
    public void Trace_BadArgument_OneLineAndExitTwo(string option, string value, string expected)
    {
        var run = VerifyProcess.Run("trace", Example, option, value);

        Assert.Equal((2, "", expected), (run.ExitCode, run.Output, run.Error.TrimEnd('\n')));
    }

    [Fact]
    public void Trace_DamagedEvent_NamesFileAndLine()
    {
        string log = Path.GetTempFileName();
        File.WriteAllText(log, "\nvfio_listener_region_del region_del 0x0 -\n");

        var run = VerifyProcess.Run("trace", log);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"verify trace: {log}:2: vfio_listener_region_del: expected", run.Error, StringComparison.Ordinal);
    }
}
