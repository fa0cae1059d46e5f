using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Observers;
using Verify.Harness.Running;
using Verify.Harness.Variants;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Suites;

/// <summary>TD-01..TD-05 (PROPERTIES.md): the topology diff against the oracle's set-semantics diff, over every
/// consecutive pair of views of generated transaction sequences.</summary>
[PropertySuite("Topology")]
public static class TopologyProperties
{
    /// <summary>The suite's properties.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("TD-01", "P_TD_01_EveryRangeDeletedKeptOrAddedExactlyOnce", "Topology", () => OverTransitions(EveryRangeOnce)),
        new("TD-02", "P_TD_02_NopsAreEqualPairsWithLogEvents", "Topology", () => OverTransitions(NopsAreEqualPairs)),
        new("TD-03", "P_TD_03_DeletesPrecedeAddsInAddressOrder", "Topology", () => OverTransitions(DeletesPrecedeAdds)),
        new("TD-04", "P_TD_04_ApplyingEventsYieldsNewView", "Topology", () => OverTransitions(ApplyingEventsYieldsNewView)),
        new("TD-05", "P_TD_05_LateListenerReplayEqualsDiffFromEmpty", "Topology", LateListenerReplay),
        new("TD-06", "P_TD_06_RealisticTransitionsDiffAsTheOracleSays", "Topology", RealisticTransitions),
    ];

    /// <summary>TD-01..TD-05 over <paramref name="implementation"/>'s diff and replay; with
    /// <see cref="MemoryMapImplementation.Model"/> these are the catalogued properties. The views come from the model's
    /// render either way (FV-01 checks render), and the listener order is <see cref="MemoryTopology"/>'s own.</summary>
    /// <param name="id">TD-01 to TD-05.</param>
    /// <param name="implementation">The diff to check; tests pass a broken variant to see the property fail.</param>
    /// <returns>The property, under the catalogued id and name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not TD-01 to TD-05.</exception>
    public static PropertyDefinition Of(string id, MemoryMapImplementation implementation)
    {
        Func<Property> build = id switch
        {
            "TD-01" => () => OverTransitions(implementation, EveryRangeOnce),
            "TD-02" => () => OverTransitions(implementation, NopsAreEqualPairs),
            "TD-03" => () => OverTransitions(implementation, DeletesPrecedeAdds),
            "TD-04" => () => OverTransitions(implementation, ApplyingEventsYieldsNewView),
            "TD-05" => () => LateListenerReplay(implementation),
            _ => throw new ArgumentOutOfRangeException(nameof(id), id, "expected TD-01 to TD-05"),
        };
        return Definitions.Single(d => d.Id == id) with { Build = build };
    }

    /// <summary>TD-01..TD-04's checks of one transition, for suites that bring their own views.</summary>
    internal static void CheckTransition(Verdict verdict, FlatView old, FlatView now, int step)
    {
        var model = MemoryMapImplementation.Model;
        EveryRangeOnce(model, verdict, old, now, step);
        NopsAreEqualPairs(model, verdict, old, now, step);
        DeletesPrecedeAdds(model, verdict, old, now, step);
        ApplyingEventsYieldsNewView(model, verdict, old, now, step);
    }

    private static Property RealisticTransitions() =>
        Prop.ForAll(Layouts.LayoutGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var views = c.Views();
            bool merge = false, split = false;
            for (int i = 1; i < views.Count; i++)
            {
                CheckTransition(verdict, views[i - 1], views[i], i);
                merge |= views[i].Count < views[i - 1].Count;
                split |= views[i].Count > views[i - 1].Count;
            }

            return verdict.Classify(merge, "fewer ranges after a transaction").Classify(split, "more ranges after a transaction")
                .Classify(c.Layout.Name == "virt", "arm virt").ToProperty();
        });

    private static Property OverTransitions(Action<MemoryMapImplementation, Verdict, FlatView, FlatView, int> check) =>
        OverTransitions(MemoryMapImplementation.Model, check);

    private static Property OverTransitions(MemoryMapImplementation implementation, Action<MemoryMapImplementation, Verdict, FlatView, FlatView, int> check) =>
        Prop.ForAll(MemoryMapGenerators.TransactionCases, c =>
        {
            var verdict = new Verdict();
            var views = c.Views();
            bool merge = false, split = false, attribute = false, log = false;
            for (int i = 1; i < views.Count; i++)
            {
                var (old, now) = (views[i - 1], views[i]);
                check(implementation, verdict, old, now, i);
                var events = implementation.Diff(old, now);
                int dels = events.Count(e => e.Kind == TopologyEventKind.Delete), adds = events.Count(e => e.Kind == TopologyEventKind.Add);
                merge |= dels > adds && adds > 0;
                split |= adds > dels && dels > 0;
                attribute |= events.Any(e => e.Kind == TopologyEventKind.Delete && now.Ranges.Any(n => n.Range == e.Range.Range));
                log |= events.Any(e => e.Kind is TopologyEventKind.LogStart or TopologyEventKind.LogStop);
            }

            return verdict
                .Classify(merge, "merge (more deletes than adds)")
                .Classify(split, "split (more adds than deletes)")
                .Classify(attribute, "attribute change (del + add of one range)")
                .Classify(log, "dirty-log change")
                .Classify(c.Operations.IsEmpty, "no transaction")
                .ToProperty();
        });

    private static void EveryRangeOnce(MemoryMapImplementation implementation, Verdict verdict, FlatView old, FlatView now, int step)
    {
        var events = implementation.Diff(old, now);
        var expected = TopologyOracle.Diff(old.Ranges, now.Ranges);
        var deleted = events.Where(e => e.Kind == TopologyEventKind.Delete).Select(e => e.Range).ToList();
        var nops = events.Where(e => e.Kind == TopologyEventKind.Nop).Select(e => e.Range).ToList();
        var added = events.Where(e => e.Kind == TopologyEventKind.Add).Select(e => e.Range).ToList();
        verdict.Expect(deleted.SequenceEqual(expected.Deleted), () => $"transaction {step}: deleted {Show(deleted)}, the oracle deletes {Show(expected.Deleted)}");
        verdict.Expect(nops.SequenceEqual(expected.Kept.Select(k => k.New)), () => $"transaction {step}: nop'd {Show(nops)}, the oracle keeps {Show(expected.Kept.Select(k => k.New))}");
        verdict.Expect(added.SequenceEqual(expected.Added), () => $"transaction {step}: added {Show(added)}, the oracle adds {Show(expected.Added)}");
        verdict.Expect(deleted.Count + nops.Count == old.Count, () => $"transaction {step}: {deleted.Count} deletes + {nops.Count} nops for {old.Count} old ranges");
        verdict.Expect(added.Count + nops.Count == now.Count, () => $"transaction {step}: {added.Count} adds + {nops.Count} nops for {now.Count} new ranges");
    }

    private static void NopsAreEqualPairs(MemoryMapImplementation implementation, Verdict verdict, FlatView old, FlatView now, int step)
    {
        // The transaction undone as well: each log_start forwards is a log_stop backwards, and generated transactions
        // turn dirty logging off too rarely for a dropped log_stop to be seen in every run otherwise.
        NopsAreEqualPairs(implementation, verdict, old, now, $"transaction {step}");
        NopsAreEqualPairs(implementation, verdict, now, old, $"transaction {step} undone");
    }

    private static void NopsAreEqualPairs(MemoryMapImplementation implementation, Verdict verdict, FlatView old, FlatView now, string where)
    {
        var events = implementation.Diff(old, now);
        var expected = new List<TopologyEvent>();
        foreach (var (o, n) in TopologyOracle.Diff(old.Ranges, now.Ranges).Kept)
        {
            expected.Add(new TopologyEvent(TopologyEventKind.Nop, n));
            if ((n.DirtyLogMask & ~o.DirtyLogMask) != 0)
            {
                expected.Add(new TopologyEvent(TopologyEventKind.LogStart, n, o.DirtyLogMask, n.DirtyLogMask));
            }

            if ((o.DirtyLogMask & ~n.DirtyLogMask) != 0)
            {
                expected.Add(new TopologyEvent(TopologyEventKind.LogStop, n, o.DirtyLogMask, n.DirtyLogMask));
            }
        }

        var actual = events.Where(e => e.Kind is TopologyEventKind.Nop or TopologyEventKind.LogStart or TopologyEventKind.LogStop).ToList();
        verdict.Expect(actual.SequenceEqual(expected), () => $"{where}: nop/log events\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", expected)}");
    }

    private static void DeletesPrecedeAdds(MemoryMapImplementation implementation, Verdict verdict, FlatView old, FlatView now, int step)
    {
        var events = implementation.Diff(old, now);
        int lastDelete = events.ToList().FindLastIndex(e => e.Kind == TopologyEventKind.Delete);
        int firstOther = events.ToList().FindIndex(e => e.Kind != TopologyEventKind.Delete);
        verdict.Expect(firstOther < 0 || lastDelete < firstOther, () => $"transaction {step}: a delete comes after an add or nop:\n  {string.Join("\n  ", events)}");
        foreach (var pass in new[] { events.Where(e => e.Kind == TopologyEventKind.Delete), events.Where(e => e.Kind is TopologyEventKind.Add or TopologyEventKind.Nop) })
        {
            var starts = pass.Select(e => e.Range.Range.Start).ToList();
            verdict.Expect(starts.Zip(starts.Skip(1)).All(p => p.First < p.Second), () => $"transaction {step}: a pass is not in ascending address order:\n  {string.Join("\n  ", events)}");
        }

        // Through MemoryTopology with two listeners: begin/commit bracket, deletes reach the higher-priority listener first.
        var log = new List<(string Listener, string Callback, TopologyEvent? Event)>();
        var topology = new MemoryTopology(old);
        topology.Register(new RecordingListener("low", 1, log));
        topology.Register(new RecordingListener("high", 2, log));
        log.Clear();
        topology.Commit(now);
        verdict.Expect(log.Take(2).All(l => l.Callback == "begin") && log.TakeLast(2).All(l => l.Callback == "commit"),
            () => $"transaction {step}: the transaction is not bracketed by begin and commit for both listeners");
        var body = log.Skip(2).SkipLast(2).ToList();
        for (int i = 0; i + 1 < body.Count; i += 2)
        {
            int k = i;
            string first = body[k].Callback is "del" or "log_stop" ? "high" : "low";
            verdict.Expect(body[k].Listener == first && body[k + 1].Event == body[k].Event,
                () => $"transaction {step}: {body[k].Callback} of {body[k].Event?.Range.Range} reached '{body[k].Listener}' first; expected '{first}'");
        }

        verdict.Expect(body.Count == 2 * events.Length, () => $"transaction {step}: listeners got {body.Count} callbacks for {events.Length} events each");
    }

    private static void ApplyingEventsYieldsNewView(MemoryMapImplementation implementation, Verdict verdict, FlatView old, FlatView now, int step)
    {
        var state = old.Ranges.ToList();
        foreach (var e in implementation.Diff(old, now))
        {
            switch (e.Kind)
            {
                case TopologyEventKind.Delete:
                    verdict.Expect(state.Remove(e.Range), () => $"transaction {step}: deleting {e.Range}, which is not in the view");
                    break;
                case TopologyEventKind.Nop:
                    int at = state.FindIndex(r => FlatViewOracle.Equal(r, e.Range));
                    verdict.Expect(at >= 0, () => $"transaction {step}: nop for {e.Range}, which is not in the view");
                    if (at >= 0)
                    {
                        state[at] = e.Range;
                    }

                    break;
                case TopologyEventKind.Add:
                    state.Add(e.Range);
                    break;
            }
        }

        var result = state.OrderBy(r => r.Range.Start).ToList();
        verdict.Expect(result.SequenceEqual(now.Ranges), () => $"transaction {step}: applying the events gives\n  {Show(result)}\nnot the new view\n  {Show(now.Ranges)}");
    }

    private static Property LateListenerReplay() => LateListenerReplay(MemoryMapImplementation.Model);

    private static Property LateListenerReplay(MemoryMapImplementation implementation) =>
        Prop.ForAll(MemoryMapGenerators.TransactionCases, c =>
        {
            var verdict = new Verdict();
            var views = c.Views();
            var topology = new MemoryTopology();
            var log = new List<(string Listener, string Callback, TopologyEvent? Event)>();
            int joinAt = c.Operations.Length / 2;
            for (int i = 0; i < views.Count; i++)
            {
                topology.Commit(views[i]);
                if (i == joinAt)
                {
                    topology.Register(new RecordingListener("late", 0, log));
                    var expected = TopologyOracle.Diff([], views[i].Ranges).Added;
                    var replayed = log.Where(l => l.Callback == "add").Select(l => l.Event!.Value.Range).ToList();
                    verdict.Expect(log.First().Callback == "begin" && log.Last().Callback == "commit" && log.Count == expected.Count + 2,
                        () => "the replay is not begin, one add per range, commit");
                    verdict.Expect(replayed.SequenceEqual(expected), () => $"replay added {Show(replayed)}, expected {Show(expected)}");
                    verdict.Expect(implementation.Replay(views[i]).SequenceEqual(implementation.Diff(FlatView.Empty, views[i])),
                        () => "TopologyDiff.Replay differs from the diff from the empty view");
                }
            }

            return verdict.Classify(views[joinAt].Count == 0, "joined an empty view").Classify(views[joinAt].Count > 3, "joined a view of 4+ ranges").ToProperty();
        });

    private static string Show(IEnumerable<FlatRange> ranges) => "[" + string.Join(", ", ranges) + "]";
}
