using Verify.MemoryMap.Text;

namespace Verify.Properties;

/// <summary>FV-05's second half: every real <c>info mtree -f</c> dump QEMU printed into the committed
/// fixtures reads without error and writes back to the same text.</summary>
public class MtreeFixtureTests
{
    public static TheoryData<string> Fixtures() => QemuFixtures.Names();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Read_EveryRecordedFlatDump_ReadsAndWritesBackUnchanged(string fixture)
    {
        var transcript = QemuFixtures.Load(fixture);
        Assert.NotEmpty(transcript.Captures);
        foreach (var capture in transcript.Captures)
        {
            var dump = MtreeFlatText.Read(capture.Flat);
            Assert.NotEmpty(dump.Sections);
            Assert.True(dump.Sections.Any(s => s.View.Count > 0), $"{fixture} step {capture.Step}: no section has ranges");
            Assert.Equal(dump, MtreeFlatText.Read(MtreeFlatText.Write(dump)));
        }
    }
}
