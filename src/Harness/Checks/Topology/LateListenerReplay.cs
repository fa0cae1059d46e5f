using Verify.MemoryMap.Flat;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.Topology;

/// <summary>TD-05 (docs/semantics.md 2.3): a listener registered late is replayed begin, one add per range of the current
/// view (the oracle's diff from the empty view), commit; and the implementation's replay equals its diff from the
/// empty view.</summary>
public sealed class LateListenerReplay() : ScenarioCheck("TD-05")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastReplay is not { } replay)
        {
            return;
        }

        var expected = TopologyOracle.Diff([], replay.View.Ranges).Added;
        var callbacks = replay.Callbacks;
        var replayed = callbacks.Where(l => l.Callback == "add").Select(l => l.Event!.Value.Range).ToList();
        context.Expect(callbacks.Length == expected.Count + 2 && callbacks[0].Callback == "begin" && callbacks[^1].Callback == "commit",
            () => $"{replay.Name}: the replay is not begin, one add per range, commit: {string.Join(", ", callbacks.Select(c => c.Callback))}");
        context.Expect(replayed.SequenceEqual(expected), () => $"{replay.Name}: replay added [{string.Join(", ", replayed)}], expected [{string.Join(", ", expected)}]");
        var implementation = context.Machine.MemoryMap.Implementation;
        context.Expect(implementation.Replay(replay.View).SequenceEqual(implementation.Diff(FlatView.Empty, replay.View)),
            () => $"{replay.Name}: the replay differs from the diff from the empty view");
        context.Label(replay.View.Count == 0, "joined an empty view");
        context.Label(replay.View.Count > 3, "joined a view of 4+ ranges");
    }
}
