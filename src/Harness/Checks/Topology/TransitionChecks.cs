using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Checks.Topology;

/// <summary>A check of every memory transaction (a commit or a <c>view</c> step): the implementation's diff of the
/// old and new views against the oracle's set-semantics diff.</summary>
public abstract class TransitionCheck : ScenarioCheck
{
    /// <summary>Creates the check.</summary>
    /// <param name="id">Its catalogue id.</param>
    protected TransitionCheck(string id)
        : base(id)
    {
    }

    /// <inheritdoc/>
    public sealed override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastTransaction is not { } t)
        {
            return;
        }

        var diff = context.Machine.MemoryMap.Implementation.Diff;
        var events = diff(t.Old, t.New);
        Check(context, t, events, diff);
        int dels = events.Count(e => e.Kind == TopologyEventKind.Delete), adds = events.Count(e => e.Kind == TopologyEventKind.Add);
        context.Label(dels > adds && adds > 0, "merge (more deletes than adds)");
        context.Label(adds > dels && dels > 0, "split (more adds than deletes)");
        context.Label(events.Any(e => e.Kind == TopologyEventKind.Delete && t.New.Ranges.Any(n => n.Range == e.Range.Range)), "attribute change (del + add of one range)");
        context.Label(events.Any(e => e.Kind is TopologyEventKind.LogStart or TopologyEventKind.LogStop), "dirty-log change");
    }

    /// <summary>Judges one transaction.</summary>
    /// <param name="context">Where findings go.</param>
    /// <param name="t">The transaction.</param>
    /// <param name="events">The implementation's events for it.</param>
    /// <param name="diff">The implementation's diff, for other pairs.</param>
    protected abstract void Check(CheckContext context, TransactionObservation t, IReadOnlyList<TopologyEvent> events, Func<FlatView, FlatView, System.Collections.Immutable.ImmutableArray<TopologyEvent>> diff);

    /// <summary>Ranges for a message.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <returns><c>[a, b, ...]</c>.</returns>
    protected static string Show(IEnumerable<FlatRange> ranges) => "[" + string.Join(", ", ranges) + "]";
}
