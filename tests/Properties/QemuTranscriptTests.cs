using Verify.Qemu;

namespace Verify.Properties;

/// <summary>
/// The committed QEMU scripts and their recorded fixtures, checked without QEMU: every script
/// parses, every fixture reads, and each fixture is the recording of its script (step 0 plus one
/// capture per step, same labels and commands, both dumps present). Also the formats' error
/// messages, which must name the offending line.
/// </summary>
public class QemuTranscriptTests
{
    private const string MinimalScript = "machine pc\nstep one\n  qtest outb 0x80 0x1\n";

    private static readonly string QemuFolder = RepositoryPaths.Qemu;

    public static TheoryData<string> Scripts() => [.. ScriptNames()];

    [Fact]
    public void Scripts_AllIssueSuites_AreCommitted()
    {
        Assert.Subset(ScriptNames().ToHashSet(), new HashSet<string> { "pc-pam", "q35-pam", "pc-bar", "pc-dimm", "pc-pflash" });
    }

    [Fact]
    public void Fixtures_EveryTranscript_HasAScript()
    {
        var scripts = ScriptNames().ToHashSet();
        foreach (string fixture in Directory.GetFiles(Path.Combine(QemuFolder, "Fixtures"), "*.transcript"))
        {
            Assert.Contains(Path.GetFileNameWithoutExtension(fixture), scripts);
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Fixture_CommittedRecording_MatchesItsScriptStepByStep(string name)
    {
        var script = QemuScript.Load(Path.Combine(QemuFolder, "Scripts", name + ".qemu"));
        var transcript = QemuTranscript.Load(Path.Combine(QemuFolder, "Fixtures", name + ".transcript"));

        Assert.Equal(script.Name, transcript.Script);
        Assert.Equal(script.Machine, transcript.Machine);
        Assert.Equal(string.Join(' ', script.Args), transcript.Args);
        Assert.Equal(script.Steps.Length + 1, transcript.Captures.Length);
        Assert.Equal(QemuTranscript.StartLabel, transcript.Captures[0].Label);
        for (int i = 0; i < script.Steps.Length; i++)
        {
            var step = script.Steps[i];
            var capture = transcript.Captures[i + 1];
            Assert.Equal(step.Label, capture.Label);
            Assert.Equal(step.Actions.Select(a => a.ToString()), capture.Commands);
        }

        foreach (var capture in transcript.Captures)
        {
            Assert.StartsWith("address-space: ", capture.Tree, StringComparison.Ordinal);
            Assert.StartsWith("FlatView #0\n", capture.Flat, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Fixture_WriteAfterRead_ReproducesTheFileExactly(string name)
    {
        string path = Path.Combine(QemuFolder, "Fixtures", name + ".transcript");
        string text = File.ReadAllText(path);
        Assert.Equal(text, QemuTranscript.Parse(text, name).Write());
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Fixture_BlockOrder_IsAlreadyCanonical(string name)
    {
        // The recorder sorts QEMU's hash-ordered blocks; a fixture edited or recorded without that
        // would not re-record identically.
        var transcript = QemuTranscript.Load(Path.Combine(QemuFolder, "Fixtures", name + ".transcript"));
        foreach (var capture in transcript.Captures)
        {
            Assert.Equal(capture.Tree, MtreeBlockOrder.Apply(capture.Tree));
            Assert.Equal(capture.Flat, MtreeBlockOrder.Apply(capture.Flat));
        }
    }

    [Fact]
    public void Parse_MinimalScript_ReadsMachineStepAndCommand()
    {
        var script = QemuScript.Parse("# comment\n" + MinimalScript + "  hmp device_add pc-dimm,id=d1,memdev=m1\n", "t.qemu");
        Assert.Equal("pc", script.Machine);
        var step = Assert.Single(script.Steps);
        Assert.Equal("one", step.Label);
        Assert.Equal(3, step.Line);
        Assert.Equal(["qtest outb 0x80 0x1", "hmp device_add pc-dimm,id=d1,memdev=m1"], step.Actions.Select(a => a.ToString()));
    }

    [Fact]
    public void Parse_SystemDirective_PicksTheBinaryAndItsPackage()
    {
        var x86 = QemuScript.Parse(MinimalScript, "t.qemu");
        var arm = QemuScript.Parse("system aarch64\nmachine virt\nstep reset\n  hmp system_reset\n", "a.qemu");

        Assert.Equal(("x86_64", "qemu-system-x86"), (x86.System, x86.Package));
        Assert.Equal(("aarch64", "qemu-system-arm", "virt"), (arm.System, arm.Package, arm.Machine));
    }

    [Theory]
    [InlineData("machine pc\nstep one\nqtest outb 0x80 0x1\n", 3, "must be indented")]
    [InlineData("machine pc\nstep one\n  qtest poke 0x80 0x1\n", 3, "'poke' is not a qtest command")]
    [InlineData("machine pc\nstep one\n  hmp info mtree\n", 3, "captures 'info mtree' itself")]
    [InlineData("machine pc\nstep one\nstep two\n  qtest outb 0x80 0x1\n", 2, "step 'one' has no commands")]
    [InlineData("machine pc\nstep one\n  qtest outb 0x80 0x1\nargs -m 512\n", 4, "must come before the first step")]
    [InlineData("machine pc\nargs -m 512 -S\nstep one\n  qtest outb 0x80 0x1\n", 2, "-S is set by the recorder")]
    [InlineData("machine pc\nmachine q35\n", 2, "given twice")]
    [InlineData("  qtest outb 0x80 0x1\n", 1, "needs a 'step LABEL' line before it")]
    [InlineData("machine pc\nstepp one\n", 2, "'stepp': expected 'system', 'machine', 'args', 'step'")]
    [InlineData("system aarch64\nsystem riscv64\n", 2, "'system' is given twice")]
    [InlineData("system arm 64\n", 1, "expected 'system NAME' with one target name")]
    [InlineData("machine virt\nstep one\n  hmp system_reset\nsystem aarch64\n", 4, "'system' must come before the first step")]
    [InlineData("step one\n  qtest outb 0x80 0x1\n", 3, "no 'machine NAME' line")]
    public void Parse_BadScript_ErrorNamesFileAndLine(string text, int line, string expected)
    {
        var error = Assert.Throws<QemuFormatException>(() => QemuScript.Parse(text, "bad.qemu"));
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"bad.qemu:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=== step 0: start", "=== step 1: start", 6, "expected '=== step 0: LABEL'")]
    [InlineData("--- info mtree\n", "--- info mtree -f\n", 7, "expected '--- info mtree'")]
    [InlineData("=== step 0: start\n", "=== step 0: start\n> qtest outb 0x80 0x1\n", 7, "step 0 is the start state and has no commands")]
    [InlineData("qemu: ", "qemu= ", 3, "expected the header line 'qemu: ...'")]
    [InlineData("=== step 1: one\n> qtest outb 0x80 0x1\n", "=== step 1: one\n", 15, "step 1 has no '> COMMAND' lines")]
    [InlineData("=== step 1: one", "=== step 1: ", 15, "the step has no label")]
    public void Parse_BadTranscript_ErrorNamesTheLine(string find, string replace, int line, string expected)
    {
        string good = SmallTranscript().Write();
        string bad = ReplaceFirst(good, find, replace);
        Assert.NotEqual(good, bad);
        var error = Assert.Throws<QemuFormatException>(() => QemuTranscript.Parse(bad, "bad.transcript"));
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"bad.transcript:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyDumpSection_ErrorNamesTheLine()
    {
        string bad = ReplaceFirst(SmallTranscript().Write(), "--- info mtree\naddress-space: memory\n  r\n\n", "--- info mtree\n");
        var error = Assert.Throws<QemuFormatException>(() => QemuTranscript.Parse(bad, "bad.transcript"));
        Assert.Equal(7, error.Line);
        Assert.Contains("'--- info mtree' is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_DumpLineLookingLikeAMarker_Throws()
    {
        var small = SmallTranscript();
        var broken = small with { Captures = [small.Captures[0] with { Flat = "=== step 9: forged\n" }, .. small.Captures[1..]] };
        var error = Assert.Throws<InvalidOperationException>(() => broken.Write());
        Assert.Contains("would read as a transcript marker", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_SameBlocksInAnotherOrder_GivesTheSameText()
    {
        const string A = "FlatView #0\n AS \"memory\", root: system\n  0-f (prio 0, ram): pc.ram\n\nFlatView #1\n AS \"I/O\", root: io\n\n";
        const string B = "FlatView #0\n AS \"I/O\", root: io\n\nFlatView #1\n AS \"memory\", root: system\n  0-f (prio 0, ram): pc.ram\n\n";
        Assert.Equal(MtreeBlockOrder.Apply(A), MtreeBlockOrder.Apply(B));
        Assert.StartsWith("FlatView #0\n AS \"I/O\"", MtreeBlockOrder.Apply(A), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_TreeForm_AddressSpacesBeforeMemoryRegions()
    {
        const string Dump = "memory-region: pc.ram\n  x\n\naddress-space: memory\n  y\n\naddress-space: I/O\n  z\n\n";
        Assert.Equal("address-space: I/O\n  z\n\naddress-space: memory\n  y\n\nmemory-region: pc.ram\n  x\n\n", MtreeBlockOrder.Apply(Dump));
    }

    [Fact]
    public void FirstDifference_OnlyTheVersionDiffers_IsNull()
    {
        string committed = SmallTranscript().Write();
        string recorded = (SmallTranscript() with { QemuVersion = "8.0.0" }).Write();
        Assert.Null(TranscriptDrift.FirstDifference(committed, recorded, "t.transcript"));
    }

    [Fact]
    public void FirstDifference_ARangeChanged_NamesStepSectionAndBothLines()
    {
        var small = SmallTranscript();
        var changed = small with { Captures = [small.Captures[0], small.Captures[1] with { Flat = "FlatView #0\n  s\n\n" }] };
        string? diff = TranscriptDrift.FirstDifference(small.Write(), changed.Write(), "t.transcript");
        Assert.NotNull(diff);
        Assert.Contains("@@ line 23: === step 1: one / --- info mtree -f @@", diff, StringComparison.Ordinal);
        Assert.Contains("\n-  r\n", diff, StringComparison.Ordinal);
        Assert.Contains("\n+  s\n", diff, StringComparison.Ordinal);
    }

    private static QemuTranscript SmallTranscript() =>
        new("t.qemu", "7.2.22", "pc", "-m 512",
        [
            new QemuCapture(0, QemuTranscript.StartLabel, [], "address-space: memory\n  r\n\n", "FlatView #0\n  r\n\n"),
            new QemuCapture(1, "one", ["qtest outb 0x80 0x1"], "address-space: memory\n  r\n\n", "FlatView #0\n  r\n\n"),
        ]);

    private static string ReplaceFirst(string text, string find, string replace)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return at < 0 ? text : string.Concat(text.AsSpan(0, at), replace, text.AsSpan(at + find.Length));
    }

    private static string[] ScriptNames() =>
        [.. Directory.GetFiles(Path.Combine(QemuFolder, "Scripts"), "*.qemu").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];
}
