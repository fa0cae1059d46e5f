using System.Collections.Immutable;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Checks.Topology;

/// <summary>TD-03 (docs/semantics.md 2.3): every delete precedes every add and nop, each pass in ascending address order;
/// through a topology with two listeners, begin and commit bracket the transaction and deletes reach the
/// higher-priority listener first.</summary>
public sealed class DeletesPrecedeAdds() : TransitionCheck("TD-03")
{
    /// <inheritdoc/>
    protected override void Check(CheckContext context, TransactionObservation t, IReadOnlyList<TopologyEvent> events, Func<FlatView, FlatView, ImmutableArray<TopologyEvent>> diff)
    {
        int lastDelete = events.ToList().FindLastIndex(e => e.Kind == TopologyEventKind.Delete);
        int firstOther = events.ToList().FindIndex(e => e.Kind != TopologyEventKind.Delete);
        context.Expect(firstOther < 0 || lastDelete < firstOther, () => $"transaction {t.Number}: a delete comes after an add or nop:\n  {string.Join("\n  ", events)}");
        foreach (var pass in new[] { events.Where(e => e.Kind == TopologyEventKind.Delete), events.Where(e => e.Kind is TopologyEventKind.Add or TopologyEventKind.Nop) })
        {
            var starts = pass.Select(e => e.Range.Range.Start).ToList();
            context.Expect(starts.Zip(starts.Skip(1)).All(p => p.First < p.Second), () => $"transaction {t.Number}: a pass is not in ascending address order:\n  {string.Join("\n  ", events)}");
        }

        var log = new List<(string Listener, string Callback, TopologyEvent? Event)>();
        var topology = new MemoryTopology(t.Old);
        topology.Register(new RecordingListener("low", 1, log));
        topology.Register(new RecordingListener("high", 2, log));
        log.Clear();
        topology.Commit(t.New);
        context.Expect(log.Take(2).All(l => l.Callback == "begin") && log.TakeLast(2).All(l => l.Callback == "commit"),
            () => $"transaction {t.Number}: the transaction is not bracketed by begin and commit for both listeners");
        var body = log.Skip(2).SkipLast(2).ToList();
        for (int i = 0; i + 1 < body.Count; i += 2)
        {
            int k = i;
            string first = body[k].Callback is "del" or "log_stop" ? "high" : "low";
            context.Expect(body[k].Listener == first && body[k + 1].Event == body[k].Event,
                () => $"transaction {t.Number}: {body[k].Callback} of {body[k].Event?.Range.Range} reached '{body[k].Listener}' first; expected '{first}'");
        }

        context.Expect(body.Count == 2 * events.Count, () => $"transaction {t.Number}: listeners got {body.Count} callbacks for {events.Count} events each");
    }
}
