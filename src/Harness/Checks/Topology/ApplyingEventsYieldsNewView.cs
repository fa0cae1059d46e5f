using System.Collections.Immutable;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.Topology;

/// <summary>TD-04 (docs/semantics.md 2.3): applying the events to the old view (a delete removes its range, a nop keeps an
/// equal one, an add inserts) gives the new view; and the library's three public forms of the diff agree on it: the
/// streaming <see cref="TopologyDiff.Walk"/> hands over exactly <see cref="TopologyDiff.Compute"/>'s events, and
/// <see cref="TopologyDiff.Changes"/> is that list without its nops, in the same order.</summary>
public sealed class ApplyingEventsYieldsNewView() : TransitionCheck("TD-04")
{
    /// <inheritdoc/>
    protected override void Check(CheckContext context, TransactionObservation t, IReadOnlyList<TopologyEvent> events, Func<FlatView, FlatView, ImmutableArray<TopologyEvent>> diff)
    {
        var state = t.Old.Ranges.ToList();
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case TopologyEventKind.Delete:
                    context.Expect(state.Remove(e.Range), () => $"transaction {t.Number}: deleting {e.Range}, which is not in the view");
                    break;
                case TopologyEventKind.Nop:
                    int at = state.FindIndex(r => FlatViewOracle.Equal(r, e.Range));
                    context.Expect(at >= 0, () => $"transaction {t.Number}: nop for {e.Range}, which is not in the view");
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
        context.Expect(result.SequenceEqual(t.New.Ranges), () => $"transaction {t.Number}: applying the events gives\n  {Show(result)}\nnot the new view\n  {Show(t.New.Ranges)}");

        var all = TopologyDiff.Compute(t.Old, t.New);
        var walked = new Recorder([]);
        TopologyDiff.Walk(t.Old, t.New, ref walked);
        context.Expect(walked.Events.SequenceEqual(all),
            () => $"transaction {t.Number}: TopologyDiff.Walk hands over\n  {string.Join("\n  ", walked.Events)}\nwhere Compute lists\n  {string.Join("\n  ", all)}");
        var changes = TopologyDiff.Changes(t.Old, t.New);
        context.Expect(changes.SequenceEqual(all.Where(e => e.Kind != TopologyEventKind.Nop)),
            () => $"transaction {t.Number}: TopologyDiff.Changes lists\n  {string.Join("\n  ", changes)}\nwhere Compute without its nops lists\n  {string.Join("\n  ", all.Where(e => e.Kind != TopologyEventKind.Nop))}");
    }

    private readonly struct Recorder(List<TopologyEvent> events) : TopologyDiff.ISink
    {
        public List<TopologyEvent> Events { get; } = events;

        public void On(in TopologyEvent e) => Events.Add(e);
    }
}
