using Verify.Qemu;

namespace Verify.Properties;

/// <summary>The transition summary of recorded captures, and the golden file tests/Qemu/TRANSITIONS.md.</summary>
public class QemuTransitionsTests
{
    private const string Header = "FlatView #0\n AS \"memory\", root: system\n Root memory region: system\n";

    [Fact]
    public void ToMarkdown_CommittedFixtures_EqualsTransitionsMd()
    {
        var fixtures = QemuFixtures.FileNames().Select(name => (name, QemuFixtures.Load(name)));
        string expected = QemuTransitions.ToMarkdown(fixtures);
        string committed = File.ReadAllText(Path.Combine(RepositoryPaths.Qemu, "TRANSITIONS.md"));
        Assert.True(expected == committed,
            "tests/Qemu/TRANSITIONS.md is out of date; regenerate it with: dotnet run --project src/Cli -- qemu transitions --out tests/Qemu/TRANSITIONS.md tests/Qemu/Fixtures/*.transcript");
    }

    [Fact]
    public void Compute_ReadOnlyHalfBecomesWritable_IsMergeWithTheUnchangedHalfAsCollateral()
    {
        var transcript = Transcript(
            // [0x0, 0x2000) rw and [0x2000, 0x4000) ro of one region
            "  0000000000000000-0000000000001fff (prio 0, ram): pc.ram\n  0000000000002000-0000000000003fff (prio 0, rom): pc.ram @0000000000002000\n",
            // [0x0, 0x4000) rw
            "  0000000000000000-0000000000003fff (prio 0, ram): pc.ram\n");

        var transition = Assert.Single(QemuTransitions.Compute(transcript));

        Assert.Equal((2, 1, 0, true, false), (transition.Deletes, transition.Adds, transition.Nops, transition.IsMerge, transition.IsSplit));
        // [0x0, 0x2000): unmapped and mapped again unchanged; [0x2000, 0x4000) changes permission, so it is no collateral
        Assert.Equal("[0x0..0x2000)", string.Join(", ", transition.Collateral));
        Assert.Equal(2UL, transition.CollateralPages);
    }

    [Fact]
    public void Compute_RangeSplitAroundReadOnlyPage_IsSplitAndOnlyWholeUnchangedPagesCount()
    {
        var transcript = Transcript(
            // [0x0, 0x3800) rw
            "  0000000000000000-00000000000037ff (prio 0, ram): pc.ram\n",
            // [0x0, 0x1000) rw, [0x1000, 0x2000) ro, [0x2000, 0x3800) rw
            "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram\n  0000000000001000-0000000000001fff (prio 0, rom): pc.ram @0000000000001000\n  0000000000002000-00000000000037ff (prio 0, ram): pc.ram @0000000000002000\n");

        var transition = Assert.Single(QemuTransitions.Compute(transcript));

        Assert.Equal((1, 3, true, false), (transition.Deletes, transition.Adds, transition.IsSplit, transition.IsMerge));
        // [0x0, 0x1000) and [0x2000, 0x3000); the half page [0x3000, 0x3800) is not mapped by vfio at all
        Assert.Equal("[0x0..0x1000), [0x2000..0x3000)", string.Join(", ", transition.Collateral));
    }

    [Fact]
    public void Compute_IoRangeMoves_HasNoCollateral()
    {
        var transcript = Transcript(
            // [0xfe000000, 0xfe001000) i/o
            "  00000000fe000000-00000000fe000fff (prio 1, i/o): bar\n",
            // [0xfe001000, 0xfe002000) i/o
            "  00000000fe001000-00000000fe001fff (prio 1, i/o): bar\n");

        var transition = Assert.Single(QemuTransitions.Compute(transcript));

        Assert.Equal((1, 1, "-"), (transition.Deletes, transition.Adds, QemuTransitions.Shape(transition)));
        Assert.Empty(transition.Collateral);
    }

    private static QemuTranscript Transcript(string before, string after) => new("t.qemu", "test", "pc", "",
    [
        new QemuCapture(0, QemuTranscript.StartLabel, [], "", Header + before + "\n"),
        new QemuCapture(1, "change", ["qtest outb 0x80 0x1"], "", Header + after + "\n"),
    ]);
}
