namespace Verify.Commands;

/// <summary>
/// <c>verify check --impl exec:CMD</c> against children that misbehave (docs/protocol.md, "What ends a run"): each ends
/// the run with exit 2 and one line naming the command, the request and what came back, never a stack trace or a hang,
/// and the child is killed and reaped. The children are small shell scripts, so the tests need nothing installed.
/// </summary>
public sealed class ImplementationProtocolTests : IDisposable
{
    private const string Hello = """{"protocol":"dmaverify-impl","version":1,"name":"t","implements":["flatview"]}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("verify-impl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ChildThatCrashes_EndsTheRunNamingTheSignalAndTheRequest()
    {
        var run = Check(Child("crash", $"printf '%s\\n' '{Hello}'", "read -r line", "echo 'segfault in simplify' >&2", "kill -SEGV $$"));

        AssertOneLine(run, "crash.sh", "request 1 (reset)", "died of signal 11");
        Assert.Contains("segfault in simplify", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ChildThatHangs_IsKilledAfterThePerCallTimeout()
    {
        string sleeper = Path.Combine(_dir, "sleep.pid");
        var run = Check(Child("hang", $"printf '%s\\n' '{Hello}'", $"sleep 60 & echo $! > {sleeper}", "wait"), "--impl-timeout", "1s");

        AssertOneLine(run, "hang.sh", "did not answer request 1 (reset) within 1s");
        AssertGone(sleeper);
    }

    [Fact]
    public void ChildThatPrintsGarbage_IsQuoted()
    {
        var run = Check(Child("garbage", $"printf '%s\\n' '{Hello}'", "read -r line", "echo 'Segmentation fault? no: just text'", "sleep 60"));

        AssertOneLine(run, "garbage.sh", "request 1 (reset)", "not JSON", "just text");
    }

    [Fact]
    public void ChildWithAnotherProtocolVersion_IsRefusedAtTheHello()
    {
        var run = Check(Child("v2", """printf '%s\n' '{"protocol":"dmaverify-impl","version":2,"implements":["flatview"]}'""", "sleep 60"));

        AssertOneLine(run, "v2.sh", "version 2", "version 1 only");
    }

    [Fact]
    public void ChildThatExitsBeforeItsHello_SaysItsExitCode()
    {
        var run = Check(Child("quits", "echo 'no config file' >&2", "exit 3"));

        AssertOneLine(run, "quits.sh", "closed its output before its hello", "exited with code 3", "no config file");
    }

    [Fact]
    public void ChildAnsweringAnotherRequest_IsRefused()
    {
        var run = Check(Child("wrongid", $"printf '%s\\n' '{Hello}'", "read -r line", """printf '%s\n' '{"id":99}'""", "sleep 60"));

        AssertOneLine(run, "wrongid.sh", "request 1 (reset) with id 99");
    }

    [Fact]
    public void ChildReportingAnError_IsQuoted()
    {
        var run = Check(Child("error", $"printf '%s\\n' '{Hello}'", "read -r line", """printf '%s\n' '{"id":1,"error":"out of listeners"}'""", "sleep 60"));

        AssertOneLine(run, "error.sh", "reported an error for request 1 (reset): out of listeners");
    }

    [Fact]
    public void HelloWithoutItsPageTableClaim_NamesTheField()
    {
        var run = Check(Child("claim", """printf '%s\n' '{"protocol":"dmaverify-impl","version":1,"implements":["page-table"]}'""", "sleep 60"));

        AssertOneLine(run, "claim.sh", "$.page_table", "the field is missing");
    }

    [Fact]
    public void SaveWithoutADirectory_IsRefusedForAUsersImplementation()
    {
        var run = Check(Child("save", $"printf '%s\\n' '{Hello}'", "sleep 60"), "--save", "--impl-timeout", "1s");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("use --save-dir DIR", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ImplementationValue_MustBeExec()
    {
        var run = VerifyProcess.Run("check", "--impl", "python3 impl.py");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--impl 'python3 impl.py': expected exec:COMMAND", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayOfAFileFoundAgainstAnImplementation_SaysSoAndNeverRunsIt()
    {
        string marker = Path.Combine(_dir, "ran");
        string file = Path.Combine(_dir, "case.json");
        File.WriteAllText(file, $$$"""
            {"format":"verify-scenario","version":1,"implementation":"exec:touch {{{marker}}}",
             "steps":[{"view":{"ranges":[{"start":"0x0","end":"0x1000","region":"ram","kind":"ram","offset":"0x0"}]}}]}
            """);

        var run = VerifyProcess.Run("replay", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"was found against exec:touch {marker}; this replays it against the library's models", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    private static VerifyRun Check(string child, params string[] more) =>
        VerifyProcess.Run(["check", "--impl", $"exec:sh {child}", "--max-test", "5", .. more]);

    private static void AssertOneLine(VerifyRun run, params string[] parts)
    {
        Assert.Equal(2, run.ExitCode);
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("verify check: implementation 'sh ", lines[0], StringComparison.Ordinal);
        foreach (string part in parts)
        {
            Assert.Contains(part, lines[0], StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", run.Error, StringComparison.Ordinal);
    }

    private static void AssertGone(string pidFile)
    {
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // Killed with the tree; once reaped (by the shell that started it, or by init) it has no /proc entry.
        for (int i = 0; i < 50 && Directory.Exists($"/proc/{pid}"); i++)
        {
            Thread.Sleep(100);
        }

        Assert.False(Directory.Exists($"/proc/{pid}"), $"the child's sleep (pid {pid}) still runs");
    }

    private string Child(string name, params string[] lines)
    {
        string path = Path.Combine(_dir, name + ".sh");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }
}
