using System.Collections.Immutable;
using Verify.Harness.Execution;
using Verify.Harness.Implementations;
using Verify.Harness.Scenarios;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;
using Verify.MemoryMap.Topology;
using Verify.Qemu;
using Verify.Vfio;

namespace Verify.Harness.RealQemu;

/// <summary>
/// The models against one real QEMU recording (docs/semantics.md 2): at every capture our render of QEMU's
/// <c>info mtree</c> equals QEMU's <c>info mtree -f</c> in every address space (for overlapping siblings of equal priority,
/// whose order the text does not carry, in some order of theirs: <see cref="SiblingOrder"/>); between consecutive captures our
/// topology diff of QEMU's views turns one into the next and equals the diff of our renders; and QEMU's own views of
/// the system address space, committed one after another to QEMU's naive vfio listener and the coalescing one, give
/// legal ioctls and converging containers (DL-01, DL-02, TD-01..TD-04 through the one scenario runner).
/// </summary>
public static class TranscriptCheck
{
    /// <summary>The address space the listeners are driven with.</summary>
    public const string SystemAddressSpace = "memory";

    /// <summary>Every divergence of <paramref name="transcript"/>, in step order.</summary>
    /// <param name="transcript">A recording.</param>
    /// <param name="memoryMap">The render checked (the library's, or a broken variant's to see shrinking work).</param>
    /// <returns>The divergences; empty when the models agree with QEMU everywhere.</returns>
    public static ImmutableArray<QemuDivergence> Run(QemuTranscript transcript, MemoryMapImplementation? memoryMap = null)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        var render = memoryMap ?? MemoryMapImplementation.Model;
        var found = ImmutableArray.CreateBuilder<QemuDivergence>();
        var trees = transcript.Captures.Select(c => MtreeTreeText.Read(c.Tree, QemuRegionFacts.Hints)).ToList();
        // Per capture and address space, the tree judged: as read, or with overlapping equal-priority siblings in the
        // order whose render is QEMU's (SiblingOrder: the text does not carry that order).
        var judged = new List<Dictionary<string, RegionTree>>();
        for (int i = 0; i < transcript.Captures.Length; i++)
        {
            var capture = transcript.Captures[i];
            var chosen = new Dictionary<string, RegionTree>(StringComparer.Ordinal);
            judged.Add(chosen);
            foreach (var (space, qemu) in Views(capture))
            {
                if (trees[i].Find(space) is not { } read)
                {
                    found.Add(new QemuDivergence(capture.Step, capture.Label, "render", $"AS \"{space}\" has no address-space section in the tree listing"));
                    continue;
                }

                string? difference = null;
                foreach (var tree in SiblingOrder.Orders(read.Tree))
                {
                    string? d = Difference(read.ToPrinted(MtreeFlatText.Normalize(render.Render(tree))), qemu);
                    difference ??= d;
                    if (d is null)
                    {
                        chosen[space] = tree;
                        difference = null;
                        break;
                    }
                }

                if (difference is not null)
                {
                    found.Add(new QemuDivergence(capture.Step, capture.Label, "render", $"AS \"{space}\": {difference}"));
                }
            }

            if (i > 0)
            {
                found.AddRange(DiffDivergences(transcript.Captures[i - 1], capture, trees[i - 1], trees[i], judged[i - 1], judged[i]));
            }
        }

        found.AddRange(ListenerDivergences(transcript));
        return found.ToImmutable();
    }

    /// <summary>The first difference of two views, or null when they are equal.</summary>
    /// <param name="ours">Our render.</param>
    /// <param name="qemu">QEMU's.</param>
    /// <returns>Which range differs and how.</returns>
    public static string? Difference(FlatView ours, FlatView qemu)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(qemu);
        for (int i = 0; i < Math.Max(ours.Count, qemu.Count); i++)
        {
            if (i >= ours.Count || i >= qemu.Count || ours[i] != qemu[i])
            {
                string mine = i < ours.Count ? ours[i].ToString() : "(nothing)";
                string theirs = i < qemu.Count ? qemu[i].ToString() : "(nothing)";
                return $"range {i}: ours {mine}, QEMU's {theirs}";
            }
        }

        return null;
    }

    private static IEnumerable<(string Space, FlatView View)> Views(QemuCapture capture) =>
        MtreeFlatText.Read(capture.Flat).Sections.SelectMany(s => s.AddressSpaces.Select(a => (a.Name, s.View)));

    private static IEnumerable<QemuDivergence> DiffDivergences(QemuCapture before, QemuCapture after, MtreeTreeDump treeBefore, MtreeTreeDump treeAfter,
        Dictionary<string, RegionTree> judgedBefore, Dictionary<string, RegionTree> judgedAfter)
    {
        foreach (var (name, oldView, newView) in QemuTransitions.RecordedPairs(before, after))
        {
            var events = TopologyDiff.Compute(oldView, newView);
            if (Apply(oldView, events) is { } wrong)
            {
                yield return new QemuDivergence(after.Step, after.Label, "diff", $"AS \"{name}\": {wrong}");
                continue;
            }

            // Diffed with our unique names, so that two distinct regions QEMU prints with one name are never taken
            // for one; only the events are mapped back to printed names.
            if (treeBefore.Find(name) is not { } spaceBefore || treeAfter.Find(name) is not { } spaceAfter)
            {
                continue;
            }

            var ours = TopologyDiff.Compute(MtreeFlatText.Normalize(judgedBefore.GetValueOrDefault(name, spaceBefore.Tree).Render()),
                    MtreeFlatText.Normalize(judgedAfter.GetValueOrDefault(name, spaceAfter.Tree).Render()))
                .Select(e => e with { Range = e.Range with { Region = (e.Kind == TopologyEventKind.Delete ? spaceBefore : spaceAfter).PrintedName(e.Range.Region) } })
                .ToList();
            if (!events.SequenceEqual(ours))
            {
                var first = events.Zip(ours).FirstOrDefault(p => p.First != p.Second);
                yield return new QemuDivergence(after.Step, after.Label, "diff",
                    $"AS \"{name}\": the diff of QEMU's views differs from the diff of our renders ({events.Length} vs {ours.Count} events; first: QEMU's {first.First} vs ours {first.Second})");
            }
        }
    }

    // What a listener keeping a copy of the view ends with; null when that is the new view.
    private static string? Apply(FlatView view, IEnumerable<TopologyEvent> events)
    {
        var ranges = view.ToList();
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case TopologyEventKind.Delete when !ranges.Remove(e.Range):
                    return $"the diff deletes {e.Range}, which the old view does not hold";
                case TopologyEventKind.Delete:
                    break;
                case TopologyEventKind.Add:
                    ranges.Add(e.Range);
                    break;
                case TopologyEventKind.Nop when !ranges.Any(r => FlatRange.FlatRangeEqual(r, e.Range)):
                    return $"the diff keeps {e.Range}, which the old view does not hold";
                default:
                    break;
            }
        }

        return null;
    }

    // QEMU's views of the system address space, one view step each, through both vfio listeners with a container
    // each: the scenario runner's DL-01/DL-02 and TD checks judge QEMU's own transitions.
    private static IEnumerable<QemuDivergence> ListenerDivergences(QemuTranscript transcript)
    {
        var steps = new List<ScenarioStep>
        {
            new ListenerStep("naive", ListenerKind.Naive, DmaOptions.Default),
            new ListenerStep("coalescing", ListenerKind.Coalescing, DmaOptions.Default),
            new ContainerStep("naive0", DmaBackendTraits.Type1) { IovaOnly = true },
            new HotplugStep("naive0", "naive"),
            new ContainerStep("container0", DmaBackendTraits.Type1) { IovaOnly = true },
            new HotplugStep("container0", "coalescing"),
        };
        var captures = new List<QemuCapture>();
        foreach (var capture in transcript.Captures)
        {
            if (Views(capture).FirstOrDefault(v => v.Space == SystemAddressSpace) is { View: { } view })
            {
                steps.Add(new ViewStep([.. view]));
                captures.Add(capture);
            }
        }

        const int Setup = 6;
        var report = ScenarioRunner.Run(Scenario.Create(new ScenarioHeader(), steps),
            ScenarioRunOptions.Default with { Checks = ["DL-01", "DL-02", "TD-01", "TD-02", "TD-03", "TD-04"], Describe = false });
        foreach (var step in report.Steps.Where(s => !s.Holds))
        {
            var capture = step.Index >= Setup ? captures[step.Index - Setup] : transcript.Captures[0];
            string what = step.Error ?? string.Join("; ", step.BrokenInvariants.Take(3));
            yield return new QemuDivergence(capture.Step, capture.Label, "listener", what);
        }
    }
}
