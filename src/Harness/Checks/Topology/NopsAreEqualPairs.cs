using System.Collections.Immutable;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.Topology;

/// <summary>TD-02 (docs/semantics.md 2.3): the nops are exactly the pairs the oracle calls equal, each followed by
/// <c>log_start</c> when the dirty mask gained bits and <c>log_stop</c> when it lost some; the transaction undone is
/// judged too, since generated transactions turn dirty logging off too rarely for a lost <c>log_stop</c> to show.</summary>
public sealed class NopsAreEqualPairs() : TransitionCheck("TD-02")
{
    /// <inheritdoc/>
    protected override void Check(CheckContext context, TransactionObservation t, IReadOnlyList<TopologyEvent> events, Func<FlatView, FlatView, ImmutableArray<TopologyEvent>> diff)
    {
        Judge(context, t.Old, t.New, events, $"transaction {t.Number}");
        Judge(context, t.New, t.Old, diff(t.New, t.Old), $"transaction {t.Number} undone");
    }

    private static void Judge(CheckContext context, FlatView old, FlatView now, IReadOnlyList<TopologyEvent> events, string where)
    {
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
        context.Label(expected.Any(e => e.Kind == TopologyEventKind.LogStart) && expected.Any(e => e.Kind == TopologyEventKind.LogStop), "log_start and log_stop in one transaction");
        context.Expect(actual.SequenceEqual(expected), () => $"{where}: nop/log events\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", expected)}");
    }
}
