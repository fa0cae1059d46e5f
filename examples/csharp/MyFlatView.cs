using System.Collections.Immutable;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace MyFlatView;

/// <summary>
/// "Our" memory-map code, written from QEMU's softmmu/memory.c the way a VMM author would write it: simplify
/// (flatview_simplify with can_merge), the two-pass topology diff (address_space_update_topology_pass) and the replay
/// a late listener gets. It uses only the library's value types, not its algorithms.
/// </summary>
public static class MyFlatView
{
    /// <summary>flatview_simplify: grow each range over the neighbours can_merge allows.</summary>
    public static FlatView Simplify(FlatView view)
    {
        var merged = new List<FlatRange>(view.Count);
        foreach (var r in view.Ranges)
        {
            if (merged.Count > 0 && CanMerge(merged[^1], r))
            {
                var last = merged[^1];
                merged[^1] = last with { Range = new AddressRange(last.Range.Start, last.Range.Size + r.Range.Size) };
            }
            else
            {
                merged.Add(r);
            }
        }

        return FlatView.Create(merged);
    }

    /// <summary>Both passes of address_space_update_topology_pass: every delete first, then nops (with their log
    /// changes) and adds, each pass walking both views in address order.</summary>
    public static ImmutableArray<TopologyEvent> Diff(FlatView old, FlatView @new)
    {
        var events = ImmutableArray.CreateBuilder<TopologyEvent>();
        Pass(old, @new, adding: false, events);
        Pass(old, @new, adding: true, events);
        return events.ToImmutable();
    }

    /// <summary>listener_add_address_space: a region_add per range.</summary>
    public static ImmutableArray<TopologyEvent> Replay(FlatView view) =>
        [.. view.Ranges.Select(r => new TopologyEvent(TopologyEventKind.Add, r))];

    private static void Pass(FlatView old, FlatView @new, bool adding, ImmutableArray<TopologyEvent>.Builder events)
    {
        int i = 0, j = 0;
        while (i < old.Count || j < @new.Count)
        {
            FlatRange? o = i < old.Count ? old.Ranges[i] : null;
            FlatRange? n = j < @new.Count ? @new.Ranges[j] : null;
            if (o is { } a && (n is not { } b0 || a.Range.Start < b0.Range.Start || (a.Range.Start == b0.Range.Start && !Equal(a, b0))))
            {
                // In the old view only: deleted in the first pass.
                if (!adding)
                {
                    events.Add(new TopologyEvent(TopologyEventKind.Delete, a));
                }

                i++;
            }
            else if (o is { } k && n is { } b && Equal(k, b))
            {
                // In both: a nop, and the dirty-log clients that started or stopped.
                if (adding)
                {
                    events.Add(new TopologyEvent(TopologyEventKind.Nop, b));
                    if ((b.DirtyLogMask & ~k.DirtyLogMask) != 0)
                    {
                        events.Add(new TopologyEvent(TopologyEventKind.LogStart, b, k.DirtyLogMask, b.DirtyLogMask));
                    }

                    if ((k.DirtyLogMask & ~b.DirtyLogMask) != 0)
                    {
                        events.Add(new TopologyEvent(TopologyEventKind.LogStop, b, k.DirtyLogMask, b.DirtyLogMask));
                    }
                }

                i++;
                j++;
            }
            else
            {
                if (adding)
                {
                    events.Add(new TopologyEvent(TopologyEventKind.Add, n!.Value));
                }

                j++;
            }
        }
    }

    // flatrange_equal: the dirty mask is deliberately not compared (a mask change is a nop with log events).
    private static bool Equal(in FlatRange a, in FlatRange b) =>
        a.Range == b.Range && a.Region == b.Region && a.Kind == b.Kind && a.OffsetInRegion == b.OffsetInRegion
#if TWIN
        // The one-line bug: a range that became read-only is "the same range", so the listener never hears of it.
        && a.RomdMode == b.RomdMode && a.NonVolatile == b.NonVolatile && a.Unmergeable == b.Unmergeable;
#else
        && a.RomdMode == b.RomdMode && a.ReadOnly == b.ReadOnly && a.NonVolatile == b.NonVolatile && a.Unmergeable == b.Unmergeable;
#endif

    // can_merge: r1 ends where r2 starts, same region at contiguous offsets, the same attributes, neither unmergeable.
    private static bool CanMerge(in FlatRange r1, in FlatRange r2) =>
        r1.Range.End == r2.Range.Start && r1.Region == r2.Region && r1.Kind == r2.Kind
        && (UInt128)r1.OffsetInRegion + r1.Range.Size == r2.OffsetInRegion
        && r1.DirtyLogMask == r2.DirtyLogMask && r1.RomdMode == r2.RomdMode && r1.ReadOnly == r2.ReadOnly
        && r1.NonVolatile == r2.NonVolatile && !r1.Unmergeable && !r2.Unmergeable;
}
