using System.Collections.Immutable;
using Verify.Harness.Implementations;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Variants;

/// <summary>Broken topology diffs for TD-01..TD-05: the model's events, edited the way one bug would edit them.</summary>
public static class TopologyDiffVariants
{
    /// <summary>The adding pass runs before the deleting pass, so a listener sees a new range while the old one it
    /// overlaps is still registered (KVM refuses overlapping memslots).</summary>
    public static MemoryMapImplementation AddsBeforeDeletes { get; } = Diffing("adds before deletes",
        events => [.. events.Where(e => e.Kind != TopologyEventKind.Delete), .. events.Where(e => e.Kind == TopologyEventKind.Delete)]);

    /// <summary>A range kept with dirty logging turned off gets no <c>log_stop</c> (migration would keep the dirty
    /// bitmap of a range nobody logs any more).</summary>
    public static MemoryMapImplementation LogStopDropped { get; } = Diffing("log_stop dropped",
        events => [.. events.Where(e => e.Kind != TopologyEventKind.LogStop)]);

    /// <summary><c>flatrange_equal</c> compares only the bounds: a range whose attributes change in place is
    /// reported as kept (a nop) instead of deleted and re-added (QEMU's old readonly/romd flips that never reached KVM).</summary>
    public static MemoryMapImplementation AttributeChangeKept { get; } = Diffing("attribute change reported as a nop", events =>
    {
        var deleted = events.Where(e => e.Kind == TopologyEventKind.Delete).Select(e => e.Range.Range).ToHashSet();
        var readded = events.Where(e => e.Kind == TopologyEventKind.Add && deleted.Contains(e.Range.Range)).Select(e => e.Range.Range).ToHashSet();
        return [.. events
            .Where(e => !(e.Kind == TopologyEventKind.Delete && readded.Contains(e.Range.Range)))
            .Select(e => e.Kind == TopologyEventKind.Add && readded.Contains(e.Range.Range) ? e with { Kind = TopologyEventKind.Nop } : e)];
    });

    /// <summary>The replay for a late listener stops one range short (an off-by-one in
    /// <c>listener_add_address_space</c>'s walk), so a late-registered vfio container misses the top range.</summary>
    public static MemoryMapImplementation ReplaySkipsLastRange { get; } = MemoryMapImplementation.Model with
    {
        Name = "replay skips the last range",
        Replay = view => TopologyDiff.Replay(view) is var events && events.Any(e => e.Kind == TopologyEventKind.Add)
            ? events.Remove(events.Last(e => e.Kind == TopologyEventKind.Add))
            : events,
    };

    private static MemoryMapImplementation Diffing(string name, Func<ImmutableArray<TopologyEvent>, ImmutableArray<TopologyEvent>> edit) =>
        MemoryMapImplementation.Model with { Name = name, Diff = (FlatView old, FlatView now) => edit(TopologyDiff.Compute(old, now)) };
}
