using Verify.Harness.RealQemu;
using Verify.Qemu;

namespace Verify.Properties;

/// <summary>The fuzzer's scripts without QEMU: a seed names every script, each is a valid recording script that
/// reads back to itself, and the transcript checks find nothing on the committed fixtures.</summary>
public class QemuFuzzGrammarTests
{
    [Theory]
    [InlineData("pc")]
    [InlineData("q35")]
    public void Scripts_AreDeterministicPerSeedAndReadBackToThemselves(string machine)
    {
        var options = new QemuFuzzOptions { Seed = 2026, Steps = 30 };
        for (int i = 0; i < 20; i++)
        {
            var script = QemuFuzzer.Script(options, machine, i);
            var again = QemuFuzzer.Script(options, machine, i);
            var read = QemuScript.Parse(script.Write(["a comment"]), script.Name);

            Assert.Equal(script.Write(), again.Write());
            Assert.Equal(machine, read.Machine);
            Assert.Equal(script.Steps.Select(s => (s.Label, string.Join("|", s.Actions))), read.Steps.Select(s => (s.Label, string.Join("|", s.Actions))));
            Assert.All(script.Steps, s => Assert.Contains(QemuFuzzGrammar.KindOf(s), QemuFuzzGrammar.ActionKinds));
        }

        Assert.NotEqual(QemuFuzzer.Script(options, machine, 0).Write(), QemuFuzzer.Script(options with { Seed = 2027 }, machine, 0).Write());
    }

    [Fact]
    public void TranscriptCheck_FindsNothingOnTheCommittedPcFixtures()
    {
        foreach (string fixture in new[] { "pc-pam.transcript", "pc-bar.transcript", "q35-pam.transcript" })
        {
            Assert.Empty(TranscriptCheck.Run(QemuFixtures.Load(fixture)));
        }
    }

    [Fact]
    public void TranscriptCheck_CatchesABrokenRender()
    {
        var broken = Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == "render-alias-offset-ignored");

        Assert.Contains(TranscriptCheck.Run(QemuFixtures.Load("pc-pam.transcript"), broken.Implementation.MemoryMap), d => d.Check == "render");
    }
}
