using System.Collections.Immutable;

namespace Verify.Qemu.Trace;

/// <summary>
/// A QEMU trace log as read by <see cref="QemuTraceText.Read"/>: the events it understands in order, how often each
/// other trace event occurred (skipped, never fatal: a log traces whatever the user enabled) and how many lines were
/// neither (monitor output, warnings, a shell prompt).
/// </summary>
/// <param name="Events">The understood events, in log order.</param>
/// <param name="Unknown">Every other trace event's name and count.</param>
/// <param name="OtherLines">Lines that are no trace event and no DMA error report.</param>
public sealed record QemuTraceLog(ImmutableArray<QemuTraceEvent> Events, ImmutableSortedDictionary<string, int> Unknown, int OtherLines)
{
    /// <summary>Whether the log holds events of the iommufd backend (then those carry the ioctls, not the listener's).</summary>
    public bool UsesIommufd => Events.Any(e => e is QemuTraceEvent.IommufdMap or QemuTraceEvent.IommufdUnmap);

    /// <summary>Whether two logs hold the same events (with their lines and stamps) and counts.</summary>
    /// <param name="other">The other log.</param>
    /// <returns>True when equal by value.</returns>
    public bool Equals(QemuTraceLog? other) =>
        ReferenceEquals(this, other)
        || (other is not null && Events.SequenceEqual(other.Events) && Unknown.SequenceEqual(other.Unknown) && OtherLines == other.OtherLines);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Events.Length, Unknown.Count, OtherLines);
}
