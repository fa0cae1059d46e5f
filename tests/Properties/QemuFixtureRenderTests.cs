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
        var transcript = QemuFixtures.Load(fixture);
        var mismatches = new List<string>();
        int compared = 0;
        foreach (var capture in transcript.Captures)
        {
            var tree = MtreeTreeText.Read(capture.Tree, QemuRegionFacts.Hints);
            foreach (var section in MtreeFlatText.Read(capture.Flat).Sections)
            {
                foreach (var space in section.AddressSpaces)
                {
                    var read = tree.Find(space.Name);
                    Assert.True(read is not null, $"{fixture} step {capture.Step}: AS \"{space.Name}\" has no address-space section in the tree listing");
                    var ours = read.ToPrinted(MtreeFlatText.Normalize(read.Tree.Render()));
                    compared++;
                    if (Difference(ours, section.View) is { } difference)
                    {
                        mismatches.Add($"step {capture.Step} ({capture.Label}), AS \"{space.Name}\": {difference}");
                    }
                }
            }
        }

        Assert.True(compared > 0, $"{fixture}: no address space compared");
        Assert.True(mismatches.Count == 0, $"{fixture}: our render differs from QEMU's in {mismatches.Count} of {compared} views:\n" + string.Join("\n", mismatches.Take(10)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ToFlat_EveryRecordedTree_PrintsQemusFlatListingSectionForSection(string fixture)
    {
        // verify render prints MtreeTreeDump.ToFlat(): the headers as well as the ranges must be QEMU's. QEMU prints
        // the FlatViews in the order of a hash table keyed by pointers and a view's address spaces in creation order,
        // which the tree form (sorted by name) has lost: sections are compared by address spaces sorted by name.
        foreach (var capture in QemuFixtures.Load(fixture).Captures)
        {
            var ours = Sections(MtreeTreeText.Read(capture.Tree, QemuRegionFacts.Hints).ToFlat());
            var qemu = Sections(MtreeFlatText.Normalize(MtreeFlatText.Read(capture.Flat)));

            Assert.Equal(qemu.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, text) in qemu)
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
        var transcript = QemuFixtures.Load(fixture);
        for (int i = 1; i < transcript.Captures.Length; i++)
        {
            var before = transcript.Captures[i - 1];
            var after = transcript.Captures[i];
            var treeBefore = MtreeTreeText.Read(before.Tree, QemuRegionFacts.Hints);
            var treeAfter = MtreeTreeText.Read(after.Tree, QemuRegionFacts.Hints);
            foreach (var (name, oldView, newView) in QemuTransitions.RecordedPairs(before, after))
            {
                var events = TopologyDiff.Compute(oldView, newView);
                Assert.Equal(newView, Apply(oldView, events));

                // Diffed with our unique names, so that two distinct regions QEMU prints with one name (pic, ide,
                // dma-page) are never taken for one; only the events are mapped back to printed names.
                var spaceBefore = treeBefore.Find(name)!;
                var spaceAfter = treeAfter.Find(name)!;
                var ourEvents = TopologyDiff.Compute(MtreeFlatText.Normalize(spaceBefore.Tree.Render()), MtreeFlatText.Normalize(spaceAfter.Tree.Render()))
                    .Select(e => e with { Range = e.Range with { Region = (e.Kind == TopologyEventKind.Delete ? spaceBefore : spaceAfter).PrintedName(e.Range.Region) } })
                    .ToList();
                Assert.True(events.SequenceEqual(ourEvents),
                    $"{fixture} step {after.Step}, AS \"{name}\": our diff differs from the diff of QEMU's views at "
                    + string.Join("; ", events.Zip(ourEvents).Where(p => p.First != p.Second).Take(3).Select(p => $"QEMU's {p.First} vs ours {p.Second}"))
                    + $" ({events.Length} vs {ourEvents.Count} events)");
            }
        }
    }

    /// <summary>What a listener that keeps a copy of the view ends with: deletes remove, adds insert, nops keep.</summary>
    private static FlatView Apply(FlatView view, IEnumerable<TopologyEvent> events)
    {
        var ranges = view.ToList();
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case TopologyEventKind.Delete:
                    Assert.True(ranges.Remove(e.Range), $"deleted {e.Range}, which the view does not hold");
                    break;
                case TopologyEventKind.Add:
                    ranges.Add(e.Range);
                    break;
                case TopologyEventKind.Nop:
                    Assert.Contains(ranges, r => FlatRange.FlatRangeEqual(r, e.Range));
                    break;
            }
        }

        return FlatView.Create(ranges.OrderBy(r => r.Range.Start));
    }

    private static string? Difference(FlatView ours, FlatView qemu)
    {
        for (int i = 0; i < Math.Max(ours.Count, qemu.Count); i++)
        {
            string mine = i < ours.Count ? ours[i].ToString() : "(nothing)";
            string theirs = i < qemu.Count ? qemu[i].ToString() : "(nothing)";
            if (i >= ours.Count || i >= qemu.Count || ours[i] != qemu[i])
            {
                return $"range {i}: ours {mine}, QEMU's {theirs}";
            }
        }

        return null;
    }
}
