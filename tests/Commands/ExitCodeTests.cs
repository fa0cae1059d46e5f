using System.CommandLine;
using Verify.Cli;

namespace Verify.Commands;

/// <summary>The exit codes every command shares: a script tells a typo (2) from a failure (1) from a bug in verify (3).</summary>
public class ExitCodeTests
{
    [Theory]
    [InlineData("check", "--max-test", "ten", "verify: --max-test 'ten': expected a whole number from 1 to 2147483647")]
    [InlineData("check", "--max-test", "0", "verify: --max-test '0': expected a whole number from 1 to 2147483647")]
    [InlineData("check", "--seed", "-1", "verify: --seed '-1': expected a whole number from 0 to 18446744073709551615 (or 0x hex)")]
    [InlineData("check", "--end-size", "1e3", "verify: --end-size '1e3': expected a whole number from 1 to 100000")]
    [InlineData("qemu", "record", "x.qemu", "--timeout", "-3", "verify: --timeout '-3': expected seconds, more than 0 and at most 3600")]
    public void NumericOption_BadText_OneLineInTheProjectsWordsExitTwo(params string[] argsAndMessage)
    {
        var run = VerifyProcess.Run(argsAndMessage[..^1]);

        Assert.Equal(ExitCode.UsageOrInput, run.ExitCode);
        Assert.Equal(argsAndMessage[^1], run.Error.Split('\n')[0]);
        Assert.DoesNotContain("System.", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void QemuFuzz_QemuMissing_OneLineBeforeAnyScriptExitTwo()
    {
        var run = VerifyProcess.Run("qemu", "fuzz", "--scripts", "3", "--seed", "1", "--qemu", "/nonexistent/qemu-system-x86_64");

        Assert.Equal(ExitCode.UsageOrInput, run.ExitCode);
        Assert.Equal(["verify qemu fuzz: /nonexistent/qemu-system-x86_64 does not exist"], run.Error.Trim().Split('\n'));
        Assert.DoesNotContain("no divergence", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed_HexAccepted()
    {
        var run = VerifyProcess.Run("check", "--property", "FV-02", "--max-test", "2", "--seed", "0x2a");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("seed 42 ", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("diff")]
    [InlineData("render")]
    [InlineData("trace")]
    [InlineData("replay")]
    [InlineData("qemu", "record")]
    [InlineData("qemu", "fuzz")]
    public void EveryHelp_ListsTheExitCodes(params string[] command)
    {
        var run = VerifyProcess.Run([.. command, "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(ExitCode.Help, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandThatThrows_IsAnInternalErrorExitThreeWithWhatWasPrintedKept()
    {
        var broken = new Command("broken");
        broken.SetAction(int (_) =>
        {
            Console.Out.WriteLine("partial report");
            throw new InvalidOperationException("the model lost a range");
        });
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        int exit;
        try
        {
            Console.SetOut(output);
            Console.SetError(error);
            exit = VerifyCommand.Run(["broken"], [broken]);
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }

        Assert.Equal(ExitCode.InternalError, exit);
        Assert.Equal("partial report", output.ToString().Trim());
        Assert.StartsWith("verify: internal error (a bug in verify; please report it with the command line): InvalidOperationException: the model lost a range", error.ToString(), StringComparison.Ordinal);
    }
}
