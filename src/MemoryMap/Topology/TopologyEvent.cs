using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Topology;

/// <summary>One listener callback of a topology update.</summary>
/// <param name="Kind">Which callback.</param>
/// <param name="Range">The range it is about: the old range for <see cref="TopologyEventKind.Delete"/>, the new one otherwise.</param>
/// <param name="OldLogMask">For log events: the old dirty-log mask.</param>
/// <param name="NewLogMask">For log events: the new dirty-log mask.</param>
public readonly record struct TopologyEvent(TopologyEventKind Kind, FlatRange Range, byte OldLogMask = 0, byte NewLogMask = 0)
{
    /// <summary>Prints <c>del [0x0..0x2000) ram A</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Kind switch
    {
        TopologyEventKind.Delete => $"del {Range}",
        TopologyEventKind.Nop => $"nop {Range}",
        TopologyEventKind.Add => $"add {Range}",
        TopologyEventKind.LogStart => $"log_start {Range.Range} 0x{OldLogMask:x}->0x{NewLogMask:x}",
        _ => $"log_stop {Range.Range} 0x{OldLogMask:x}->0x{NewLogMask:x}",
    };
}
