using System.Text.Json.Nodes;

namespace Verify.Commands;

/// <summary><c>verify render</c> on recorded QEMU output: the tree a user pasted printed as QEMU's flat listing.</summary>
public class RenderCommandTests
{
    [Fact]
    public void Render_RecordedTree_PrintsTheFlatViewQemuPrintedWithIt()
    {
        string tree = TranscriptDumps.Save("pc-pam.transcript", 1, flat: false);
        string flat = TranscriptDumps.Save("pc-pam.transcript", 1, flat: true);

        var run = VerifyProcess.Run("render", tree, "--as", "memory");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        // QEMU prints the view's address spaces in creation order, the tree (and so render) by name.
        string qemu = Section(File.ReadAllText(flat), "AS \"memory\"");
        Assert.Equal(Sorted(qemu), Sorted(run.Output.Replace("FlatView #0", "FlatView #3", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_Output_IsAFlatDumpVerifyDiffReads()
    {
        string before = TranscriptDumps.Save("pc-pam.transcript", 0, flat: false);
        string after = TranscriptDumps.Save("pc-pam.transcript", 1, flat: false);
        string renderedBefore = Path.GetTempFileName(), renderedAfter = Path.GetTempFileName();
        File.WriteAllText(renderedBefore, VerifyProcess.Run("render", before).Output);
        File.WriteAllText(renderedAfter, VerifyProcess.Run("render", after).Output);

        var fromTrees = VerifyProcess.Run("diff", before, after, "--json");
        var fromRendered = VerifyProcess.Run("diff", renderedBefore, renderedAfter, "--json");

        Assert.Equal(0, fromTrees.ExitCode);
        Assert.Equal(fromRendered.Output, fromTrees.Output);
        // the PAM flip of 0xc0000-0xc3fff: the naive listener unmaps and maps again, the split-capable one does not
        var naive = JsonNode.Parse(fromTrees.Output)!["listeners"]!.AsArray().Single(l => (string)l!["listener"]! == "naive")!;
        Assert.True((int)naive["ioctls"]! > 0);
    }

    [Fact]
    public void Render_MemoryRegionSection_PrintsItFromItsRootLine()
    {
        string tree = TranscriptDumps.Save("pc-pam.transcript", 0, flat: false);

        var run = VerifyProcess.Run("render", tree, "--region", "pc.ram");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(" Root memory region: pc.ram\n  0000000000000000-000000001fffffff (prio 0, ram): pc.ram\n\n", run.Output);
    }

    [Fact]
    public void Render_Json_ListsSectionsRangesAndAssumptions()
    {
        string tree = Path.GetTempFileName();
        File.WriteAllText(tree, """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, RW): system
                0000000000000000-0000000007ffffff (prio 0, RW): pc.ram
                00000000fec00000-00000000fec00fff (prio 0, RW): ioapic
            """);

        var run = VerifyProcess.Run("render", tree, "--json");

        Assert.Equal(0, run.ExitCode);
        var json = JsonNode.Parse(run.Output)!;
        var ranges = json["sections"]![0]!["ranges"]!.AsArray();
        Assert.Equal(["ram", "io"], ranges.Select(r => (string)r!["kind"]!));
        Assert.Equal("0x8000000", (string)ranges[0]!["end"]!);
        Assert.Equal(2, json["assumptions"]!.AsArray().Count);
    }

    [Fact]
    public void Render_OldRwLeaf_SaysWhatItAssumedOnStandardError()
    {
        string tree = Path.GetTempFileName();
        File.WriteAllText(tree, "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, RW): system\n    00000000fec00000-00000000fec00fff (prio 0, RW): ioapic\n");

        var run = VerifyProcess.Run("render", tree);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("(prio 0, i/o): ioapic", run.Output, StringComparison.Ordinal);
        Assert.Equal($"verify render: assumed: line 3: \"ioapic\" prints old QEMU's RW without subregions, which is RAM or MMIO; read as MMIO (i/o)\n", run.Error);
    }

    [Fact]
    public void Render_HintMakesAnMmioLeafAContainer()
    {
        // An empty container a board of its own makes (QEMU's own, such as "platform bus", are known facts).
        string tree = Path.GetTempFileName();
        File.WriteAllText(tree, "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    0000000010000000-000000001fffffff (prio 0, i/o): board-window\n"
            + "    0000000020000000-000000002fffffff (prio 0, i/o): platform bus\n");

        var asMmio = VerifyProcess.Run("render", tree);
        var asContainer = VerifyProcess.Run("render", tree, "--hint", "container:board-window");

        Assert.Contains("board-window", asMmio.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("platform bus", asMmio.Output, StringComparison.Ordinal);
        Assert.Contains("No rendered FlatView", asContainer.Output, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> BadInput() => new()
    {
        { ["render", "/nonexistent/tree.txt"], "verify render: /nonexistent/tree.txt: " },
        { ["render", "{tree}", "--as", "nowhere"], "no address space \"nowhere\" (it has \"I/O\", " },
        { ["render", "{tree}", "--region", "nowhere"], "no \"memory-region: nowhere\" section (it has \"pc.bios\", " },
        { ["render", "{tree}", "--hint", "kind"], "--hint kind: expected mmio:NAME, container:NAME or readonly:NAME" },
        { ["render", "{flat}"], "this is the flat listing ('info mtree -f'); render reads the tree listing" },
        { ["render", "{elided}"], "line 3: elision \"...\": the dump was shortened by hand" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void Render_BadInput_OneLineNamingWhereAndExitTwo(string[] args, string expected)
    {
        string elided = Path.GetTempFileName();
        File.WriteAllText(elided, "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    ...\n");
        var substituted = args.Select(a => a switch
        {
            "{tree}" => TranscriptDumps.Save("pc-pam.transcript", 0, flat: false),
            "{flat}" => TranscriptDumps.Save("pc-pam.transcript", 0, flat: true),
            "{elided}" => elided,
            _ => a,
        }).ToArray();

        var run = VerifyProcess.Run(substituted);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.TrimEnd('\n').Split('\n'));
    }

    private static string Section(string flat, string addressSpaceLine)
    {
        var sections = flat.Split("FlatView #", StringSplitOptions.RemoveEmptyEntries);
        return "FlatView #" + sections.Single(s => s.Contains(addressSpaceLine, StringComparison.Ordinal));
    }

    private static string Sorted(string text) => string.Join('\n', text.Split('\n').Where(l => l.Length > 0).Order(StringComparer.Ordinal));
}
