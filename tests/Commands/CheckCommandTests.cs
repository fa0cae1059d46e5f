using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Verify.Commands;

/// <summary><c>verify check</c> as CI runs it: redirected, so plain text, its seed first, the table unwrapped.</summary>
public class CheckCommandTests
{
    [Fact]
    public void Check_Redirected_PrintsTheSeedFirstNoEscapeCodesNoProgressAndAnUnwrappedTable()
    {
        var run = VerifyProcess.Run("check", "--property", "FV-02", "--max-test", "5");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var lines = run.Output.Split('\n');
        Assert.Matches(@"^seed \d+ \(run again with: verify check --seed \d+\)$", lines[0]);
        Assert.DoesNotContain('\u001b', run.Output);
        Assert.Contains(lines, l => l.Contains("FV-02", StringComparison.Ordinal) && l.Contains("P_FV_02_", StringComparison.Ordinal) && l.Contains("passed", StringComparison.Ordinal));
        Assert.Equal("1 passed, 0 failed", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public void Check_SameSeed_SameCases()
    {
        var first = VerifyProcess.Run("check", "--property", "FV-02", "--max-test", "5", "--seed", "42");
        var second = VerifyProcess.Run("check", "--property", "FV-02", "--max-test", "5", "--seed", "42");

        Assert.Equal("seed 42 (run again with: verify check --seed 42)", first.Output.Split('\n')[0]);
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public void Check_ColorAlways_WritesEscapeCodesEvenWhenRedirected()
    {
        var run = VerifyProcess.Run("check", "--property", "FV-02", "--max-test", "3", "--color", "always");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains('\u001b', run.Output);
    }

    [Fact]
    public void Check_ColorValueUnknown_IsAUsageError()
    {
        var run = VerifyProcess.Run("check", "--color", "sometimes");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sometimes", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Json_IsOneDocumentWithTheSeedAndEveryProperty()
    {
        var run = VerifyProcess.Run("check", "--suite", "FlatView", "--max-test", "3", "--seed", "7", "--json");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var json = JsonNode.Parse(run.Output)!;
        Assert.Equal("7", (string)json["seed"]!);
        var properties = json["properties"]!.AsArray();
        Assert.NotEmpty(properties);
        Assert.All(properties, p => Assert.Equal(("FlatView", "passed", 3), ((string)p!["suite"]!, (string)p["result"]!, (int)p["cases"]!)));
        Assert.Equal(properties.Count, (int)json["passed"]!);
    }

    [Fact]
    public void Check_Junit_OneTestcasePerPropertyAndTheTimeBudgetsLeftoversSkipped()
    {
        string file = Path.Combine(Path.GetTempPath(), $"verify-junit-{Guid.NewGuid():N}.xml");

        // One millisecond: at most the first property runs (none, on a loaded machine); the rest are left out.
        var run = VerifyProcess.Run("check", "--suite", "FlatView", "--max-test", "3", "--time", "0.001s", "--junit", file);

        Assert.Equal(0, run.ExitCode);
        var root = XDocument.Load(file).Root!;
        var cases = root.Descendants("testcase").ToList();
        Assert.True(cases.Count > 1);
        Assert.Equal((string)root.Attribute("tests")!, cases.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(cases, c => Assert.True(!c.Elements().Any() || c.Elements().Single().Name.LocalName == "skipped"));
        int skipped = cases.Count(c => c.Elements().Any());
        Assert.True(skipped >= cases.Count - 1);
        Assert.Equal((string)root.Attribute("skipped")!, skipped.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(cases, c => Assert.Matches(@"^FV-\d\d P_FV_", (string)c.Attribute("name")!));
        Assert.Contains(root.Descendants("property"), p => (string)p.Attribute("name")! == "seed" && ((string)p.Attribute("value")!).Length > 0);
    }

    [Fact]
    public void Check_JunitCannotBeWritten_ReportStillPrintsExitTwoAndNoFileLeft()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"verify-missing-{Guid.NewGuid():N}");

        var run = VerifyProcess.Run("check", "--property", "FV-02", "--max-test", "3", "--junit", Path.Combine(dir, "j.xml"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("1 passed, 0 failed", run.Output, StringComparison.Ordinal);
        Assert.StartsWith($"verify check: --junit {Path.Combine(dir, "j.xml")}: ", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void CheckReport_FailedProperty_JunitFailureCarriesTheReportAndTheReplayLine()
    {
        var property = Verify.Harness.Running.PropertyCatalogue.All[0];
        var outcome = new Verify.Harness.Running.PropertyOutcome
        {
            Property = property,
            Passed = false,
            Tests = 12,
            Report = "FV-01 failed after 12 cases\nstep 0: invariant broken",
            Replay = new Verify.Harness.Core.ReplaySeed(1, 3, 7),
        };
        var report = new Verify.Cli.CheckReport([new Verify.Cli.CheckLine(property, outcome, 0.5, "tests/Regressions/Cases/x.json")],
            Verify.Harness.Running.PropertyBudget.Default with { StartSeed = 5 });

        var failure = report.ToJunit().Descendants("failure").Single();
        var json = report.ToJson()["properties"]![0]!;

        Assert.Equal("FV-01 failed after 12 cases", (string)failure.Attribute("message")!);
        Assert.Contains("VERIFY_REPLAY=\"1,3,7\"", failure.Value, StringComparison.Ordinal);
        Assert.Contains("tests/Regressions/Cases/x.json", failure.Value, StringComparison.Ordinal);
        Assert.Equal(("failed", "1,3,7", "tests/Regressions/Cases/x.json"), ((string)json["result"]!, (string)json["replaySeed"]!, (string)json["saved"]!));
        Assert.Equal(1, report.Failures);
    }

    [Theory]
    [InlineData(new[] { "check", "--shard", "999/999" }, "verify check: --shard 999/999: selects none of the ")]
    [InlineData(new[] { "check", "--property", "FV-99" }, "verify check: --property FV-99: no property matches; suites: ")]
    [InlineData(new[] { "check", "--suite", "Nowhere" }, "verify check: --suite Nowhere: no property matches; suites: ")]
    public void Check_FilterThatSelectsNothing_IsAnInputErrorNamingIt(string[] args, string expected)
    {
        var run = VerifyProcess.Run(args);

        Assert.Equal((2, ""), (run.ExitCode, run.Output));
        Assert.StartsWith(expected, run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Check_TimeBound_StopsARunningPropertyBetweenCasesAndReportsItNotFinished()
    {
        // A budget no machine finishes: only the time bound ends this run.
        var run = VerifyProcess.Run("check", "--suite", "FlatView", "--max-test", "2000000000", "--time", "2s", "--json");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var json = JsonNode.Parse(run.Output)!;
        var first = json["properties"]![0]!;
        Assert.Equal("not finished", (string)first["result"]!);
        Assert.InRange((int)first["cases"]!, 1, 1_999_999_999);
        Assert.All(json["properties"]!.AsArray().Skip(1), p => Assert.Equal("not run", (string)p!["result"]!));
        Assert.Equal((1, 0, 0), ((int)json["notFinished"]!, (int)json["failed"]!, (int)json["passed"]!));
    }

    [Fact]
    public void Check_Junit_ValidatesAgainstTheJunitSchema()
    {
        string file = Path.Combine(Path.GetTempPath(), $"verify-junit-{Guid.NewGuid():N}.xml");
        var run = VerifyProcess.Run("check", "--suite", "FlatView", "--max-test", "3", "--junit", file);
        Assert.Equal(0, run.ExitCode);

        Assert.Empty(JunitSchema.Problems(XDocument.Load(file)));
    }

    [Fact]
    public void CheckReport_FailedNotFinishedAndNotRun_AllValidateAgainstTheJunitSchema()
    {
        var all = Verify.Harness.Running.PropertyCatalogue.All;
        Verify.Harness.Running.PropertyOutcome Outcome(int i, bool stopped) => new()
        {
            Property = all[i],
            Passed = false,
            Stopped = stopped,
            Tests = 4,
            Report = "failed <&> \"quoted\"\nstep 0",
            Replay = stopped ? null : new Verify.Harness.Core.ReplaySeed(1, 3, 7),
        };
        var report = new Verify.Cli.CheckReport(
            [new Verify.Cli.CheckLine(all[0], Outcome(0, false), 0.5, null), new Verify.Cli.CheckLine(all[1], Outcome(1, true), 2, null), new Verify.Cli.CheckLine(all[2], null, 0, null)],
            Verify.Harness.Running.PropertyBudget.Default with { StartSeed = 5 });

        var junit = report.ToJunit();

        Assert.Empty(JunitSchema.Problems(junit));
        Assert.Equal(("1", "2"), ((string)junit.Root!.Attribute("failures")!, (string)junit.Root.Attribute("skipped")!));
    }
}
