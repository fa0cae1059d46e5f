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
}
