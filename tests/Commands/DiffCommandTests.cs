namespace Verify.Commands;

/// <summary><c>verify diff</c> takes either form of <c>info mtree</c>, and a tree and its flat listing say the same.</summary>
public class DiffCommandTests
{
    [Fact]
    public void Diff_TreeDumps_SameReportAsQemusFlatDumpsOfTheSameStates()
    {
        string treeBefore = TranscriptDumps.Save("q35-pam.transcript", 0, flat: false);
        string treeAfter = TranscriptDumps.Save("q35-pam.transcript", 1, flat: false);
        string flatBefore = TranscriptDumps.Save("q35-pam.transcript", 0, flat: true);
        string flatAfter = TranscriptDumps.Save("q35-pam.transcript", 1, flat: true);

        var fromTrees = VerifyProcess.Run("diff", treeBefore, treeAfter, "--json");
        var fromFlat = VerifyProcess.Run("diff", flatBefore, flatAfter, "--json");
        var mixed = VerifyProcess.Run("diff", treeBefore, flatAfter, "--json");

        Assert.Equal((0, ""), (fromFlat.ExitCode, fromFlat.Error));
        Assert.Equal(fromFlat.Output, fromTrees.Output);
        Assert.Equal(fromFlat.Output, mixed.Output);
    }

    [Fact]
    public void Diff_MalformedTree_NamesTheFileAndLine()
    {
        string tree = Path.GetTempFileName();
        File.WriteAllText(tree, "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    00000000000c0000 (prio 1, ram): broken\n");

        var run = VerifyProcess.Run("diff", tree, tree);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"verify diff: {tree}: line 3: ", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "diff", "only-one.txt" }, "verify: Required argument missing for command: 'diff'.")]
    [InlineData(new[] { "render", "a.txt", "--nosuch" }, "verify: Unrecognized command or argument '--nosuch'.")]
    public void Verify_UsageError_ExitsTwoWithOneLineAndAPointerToHelp(string[] args, string expected)
    {
        var run = VerifyProcess.Run(args);

        Assert.Equal((2, ""), (run.ExitCode, run.Output));
        Assert.Equal([expected, "verify: see 'verify --help' or 'verify COMMAND --help'"], run.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Diff_Html_WritesOnePageWithEveryCallAndEveryWindowOfTheJson()
    {
        string pictures = Path.Combine(VerifyProcess.Repository, "tests", "Pictures");
        string file = Path.Combine(Path.GetTempPath(), $"verify-picture-{Guid.NewGuid():N}.html");

        var run = VerifyProcess.Run("diff", Path.Combine(pictures, "pam-before.txt"), Path.Combine(pictures, "pam-after.txt"), "--json", "--html", file);

        Assert.Equal(0, run.ExitCode);
        string html = File.ReadAllText(file);
        var listeners = System.Text.Json.Nodes.JsonNode.Parse(run.Output)!["listeners"]!.AsArray();
        foreach (var row in listeners)
        {
            string name = (string)row!["listener"]!;
            int calls = System.Text.RegularExpressions.Regex.Matches(html, $"<rect class=\"(map|unmap)\" data-lane=\"{name}\"").Count;
            Assert.Equal((int)row["ioctls"]!, calls);
            Assert.Equal((long)row["collateralBytes"]! > 0, html.Contains($"<rect class=\"window\" data-lane=\"{name}\"", StringComparison.Ordinal));
        }

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_HtmlCannotBeWritten_ExitTwoAndNothingLeft()
    {
        string pictures = Path.Combine(VerifyProcess.Repository, "tests", "Pictures");
        string dir = Path.Combine(Path.GetTempPath(), $"verify-missing-{Guid.NewGuid():N}");

        var run = VerifyProcess.Run("diff", Path.Combine(pictures, "pam-before.txt"), Path.Combine(pictures, "pam-after.txt"), "--html", Path.Combine(dir, "p.html"));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"verify diff: --html {Path.Combine(dir, "p.html")}: cannot be written", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }
}
