using System.Collections.Immutable;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.Topology;

/// <summary>TD-01 (docs/semantics.md 2.3): every old range is nop'd or deleted exactly once and every new range nop'd or
/// added exactly once, as the oracle's diff says.</summary>
public sealed class EveryRangeOnce() : TransitionCheck("TD-01")
{
    /// <inheritdoc/>
    protected override void Check(CheckContext context, TransactionObservation t, IReadOnlyList<TopologyEvent> events, Func<FlatView, FlatView, ImmutableArray<TopologyEvent>> diff)
    {
        var expected = TopologyOracle.Diff(t.Old.Ranges, t.New.Ranges);
        var deleted = events.Where(e => e.Kind == TopologyEventKind.Delete).Select(e => e.Range).ToList();
        var nops = events.Where(e => e.Kind == TopologyEventKind.Nop).Select(e => e.Range).ToList();
        var added = events.Where(e => e.Kind == TopologyEventKind.Add).Select(e => e.Range).ToList();
        context.Expect(deleted.SequenceEqual(expected.Deleted), () => $"transaction {t.Number}: deleted {Show(deleted)}, the oracle deletes {Show(expected.Deleted)}");
        context.Expect(nops.SequenceEqual(expected.Kept.Select(k => k.New)), () => $"transaction {t.Number}: nop'd {Show(nops)}, the oracle keeps {Show(expected.Kept.Select(k => k.New))}");
        context.Expect(added.SequenceEqual(expected.Added), () => $"transaction {t.Number}: added {Show(added)}, the oracle adds {Show(expected.Added)}");
        context.Expect(deleted.Count + nops.Count == t.Old.Count, () => $"transaction {t.Number}: {deleted.Count} deletes + {nops.Count} nops for {t.Old.Count} old ranges");
        context.Expect(added.Count + nops.Count == t.New.Count, () => $"transaction {t.Number}: {added.Count} adds + {nops.Count} nops for {t.New.Count} new ranges");
    }
}
