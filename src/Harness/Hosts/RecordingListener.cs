using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Hosts;

/// <summary>A listener that writes every callback it gets into a shared log, tagged with its own name, so a
/// property can check the order across listeners.</summary>
/// <param name="name">Tag in the log.</param>
/// <param name="priority">Listener priority.</param>
/// <param name="log">The shared log.</param>
public sealed class RecordingListener(string name, int priority, List<(string Listener, string Callback, TopologyEvent? Event)> log) : IMemoryListener
{
    /// <inheritdoc/>
    public int Priority => priority;

    /// <inheritdoc/>
    public void Begin() => log.Add((name, "begin", null));

    /// <inheritdoc/>
    public void Commit() => log.Add((name, "commit", null));

    /// <inheritdoc/>
    public void RegionAdd(in FlatRange range) => log.Add((name, "add", new TopologyEvent(TopologyEventKind.Add, range)));

    /// <inheritdoc/>
    public void RegionDel(in FlatRange range) => log.Add((name, "del", new TopologyEvent(TopologyEventKind.Delete, range)));

    /// <inheritdoc/>
    public void RegionNop(in FlatRange range) => log.Add((name, "nop", new TopologyEvent(TopologyEventKind.Nop, range)));

    /// <inheritdoc/>
    public void LogStart(in FlatRange range, byte oldMask, byte newMask) =>
        log.Add((name, "log_start", new TopologyEvent(TopologyEventKind.LogStart, range, oldMask, newMask)));

    /// <inheritdoc/>
    public void LogStop(in FlatRange range, byte oldMask, byte newMask) =>
        log.Add((name, "log_stop", new TopologyEvent(TopologyEventKind.LogStop, range, oldMask, newMask)));
}
