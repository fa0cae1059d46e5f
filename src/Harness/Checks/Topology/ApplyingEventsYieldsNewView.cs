using System.Collections.Immutable;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.Topology;

/// <summary>TD-04 (docs/semantics.md 2.3): applying the events to the old view (a delete removes its range, a nop keeps an
/// equal one, an add inserts) gives the new view.</summary>
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
    }
}
