using Verify.Harness.RealQemu;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Text;
using Verify.MemoryMap.Topology;
using Verify.Qemu;

namespace Verify.Properties;

/// <summary>
/// Our model against real QEMU, from the committed fixtures (no QEMU needed): the render of every recorded
/// <c>info mtree</c> equals the <c>info mtree -f</c> QEMU printed with it, address space by address space, and
/// our topology diff between consecutive recorded views turns one into the next.
/// </summary>
public class QemuFixtureRenderTests
{
    public static TheoryData<string> Fixtures() => QemuFixtures.Names();

    [Fact]
    public void Fixtures_EveryRecordingScript_HasAFixtureTheseChecksRead()
    {
        var scripts = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Qemu, "Scripts"), "*.qemu")
            .Select(p => Path.ChangeExtension(Path.GetFileName(p), ".transcript")).Order(StringComparer.Ordinal);

        Assert.Equal(scripts, QemuFixtures.FileNames());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Render_EveryRecordedTree_EqualsQemusFlatViewOfEveryAddressSpace(string fixture)
    {
        // The same comparison verify qemu fuzz runs on every generated recording (TranscriptCheck).
        var transcript = QemuFixtures.Load(fixture);
        var mismatches = TranscriptCheck.Run(transcript).Where(d => d.Check == "render").ToList();

        Assert.NotEmpty(transcript.Captures);
        Assert.True(mismatches.Count == 0, $"{fixture}: our render differs from QEMU's in {mismatches.Count} views:\n" + string.Join("\n", mismatches.Take(10)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ToFlat_EveryRecordedTree_PrintsQemusFlatListingSectionForSection(string fixture)
    {
        // verify render prints MtreeTreeDump.ToFlat(): the headers as well as the ranges must be QEMU's. QEMU prints
        // the FlatViews in the order of a hash table keyed by pointers and a view's address spaces in creation order,
        // which the tree form (sorted by name) has lost: sections are compared by address spaces sorted by name.
        // A view whose tree has overlapping siblings of one priority is a guess the reader says it made (and TranscriptCheck
        // judges in every order of them): it is compared only when the guess is right.
        foreach (var capture in QemuFixtures.Load(fixture).Captures)
        {
            var dump = MtreeTreeText.Read(capture.Tree, QemuRegionFacts.Hints);
            var ours = Sections(dump.ToFlat());
            var qemu = Sections(MtreeFlatText.Normalize(MtreeFlatText.Read(capture.Flat)));
            var guessed = dump.Spaces.Where(s => s.Assumptions.Any(a => a.Contains("which the listing does not say", StringComparison.Ordinal)))
                .SelectMany(s => s.Names).ToHashSet(StringComparer.Ordinal);

            Assert.Equal(qemu.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, text) in qemu.Where(q => !guessed.Contains(q.Key) || ours[q.Key] == q.Value))
            {
                Assert.True(ours[name] == text, $"{fixture} step {capture.Step} ({capture.Label}), AS \"{name}\": ours\n{ours[name]}\nQEMU's\n{text}");
            }
        }
    }

    private static Dictionary<string, string> Sections(MtreeFlatDump dump) =>
        dump.Sections.Select(s => new MtreeFlatSection(s.AddressSpaces.OrderBy(a => a.Name, StringComparer.Ordinal), s.RootRegion, s.View))
            .ToDictionary(s => s.AddressSpaces[0].Name, s => MtreeFlatText.Write(new MtreeFlatDump([s])), StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Diff_ConsecutiveRecordedViews_ApplyingItGivesTheNextViewAndMatchesTheDiffOfOurRenders(string fixture)
    {
        var divergences = TranscriptCheck.Run(QemuFixtures.Load(fixture)).Where(d => d.Check == "diff").ToList();

        Assert.True(divergences.Count == 0, $"{fixture}:\n" + string.Join("\n", divergences.Take(10)));
    }
}
