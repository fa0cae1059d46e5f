using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Verify.Vfio;

/// <summary>
/// Plans the ioctls that take a container from the mappings a listener created there (its history) to a new
/// DMA-visible map, minimising in this order: collateral, ioctls, live mappings (docs/semantics.md 3).
/// </summary>
/// <remarks>
/// <para>Under type1 (no bisect) a live mapping is unmapped exactly when one of its pages changes translation or
/// is no longer mapped; every other live mapping is kept untouched, so A + B -&gt; A' and A' -&gt; A + B with the same
/// translation plan nothing. Consecutive removed mappings not separated by a kept one go in one UNMAP (holes are
/// fine under type1 v2, and it never bisects), immediately followed by the MAPs of the new mappings inside its span;
/// MAPs of fresh memory come last. The unchanged pages of a removed mapping are the collateral, the minimum the
/// rules allow for that history.</para>
/// <para>On a split-capable backend only the changed pages are unmapped (one UNMAP per run of changed pages not
/// separated by an unchanged live page), so the collateral is always 0.</para>
/// <para>Cost: one merge-walk over the live and desired arrays whose common case (an identical mapping on both
/// sides) is a single comparison; everything allocated is proportional to the changes.</para>
/// </remarks>
public static class DmaPlanner
{
    private static readonly UInt128 HalfSpace = (UInt128)1 << 63;

    /// <summary>Plans the update of one container.</summary>
    /// <param name="live">The container's live mappings (the listener's history), ascending and disjoint.</param>
    /// <param name="desired">The new DMA-visible map.</param>
    /// <param name="options">Granularity and backend traits.</param>
    /// <param name="splitPoints">Ascending IOVAs at which new mappings are split under
    /// <see cref="MappingGranularity.RegionBoundaries"/> (the range starts of the unsimplified view); ignored by the
    /// other granularities. <see cref="MappingGranularity.FixedGranule"/> splits at multiples of
    /// <see cref="PlanOptions.Granule"/> by itself.</param>
    /// <returns>The plan with its measured cost.</returns>
    public static DmaPlan Plan(IReadOnlyList<DmaMapping> live, DmaMap desired, PlanOptions options, IReadOnlyList<ulong>? splitPoints = null)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(options);
        var want = desired.Mappings.AsSpan();
        var lives = AsSpan(live);
        bool bisect = options.Backend.UnmapMayBisect;

        // Pass 1: what must go. Groups of removed pieces, the unchanged pages inside them (collateral, type1 only),
        // and the desired mappings that are not identical to a live one (the only ones pass 2 must look at).
        var groups = new List<Group>();
        var collateral = new List<AddressRange>();
        var removedIndices = new List<int>();
        var dirty = new List<int>();
        var runs = new List<Run>();
        Group open = default;
        bool isOpen = false;
        int j = 0, identical = -1;
        for (int i = 0; i < lives.Length; i++)
        {
            ref readonly var l = ref lives[i];
            while (j < want.Length && want[j].Iova.End <= l.Iova.Start)
            {
                if (j != identical)
                {
                    dirty.Add(j);
                }

                j++;
            }

            if (j < want.Length && Identical(want[j], l))
            {
                identical = j;
                Close(ref open, ref isOpen, groups, i);
                continue;
            }

            if (!CompareRuns(l, want, j, runs))
            {
                Close(ref open, ref isOpen, groups, i);
                continue;
            }

            if (!bisect)
            {
                removedIndices.Add(i);
                Extend(ref open, ref isOpen, i, l, l.Iova, bisect: false);
                foreach (var r in runs)
                {
                    if (r.Unchanged)
                    {
                        collateral.Add(r.Range);
                    }
                }

                continue;
            }

            foreach (var r in runs)
            {
                if (r.Unchanged)
                {
                    Close(ref open, ref isOpen, groups, i);
                }
                else
                {
                    Extend(ref open, ref isOpen, i, l, r.Range, bisect: true);
                }
            }
        }

        Close(ref open, ref isOpen, groups, -1);
        for (; j < want.Length; j++)
        {
            if (j != identical)
            {
                dirty.Add(j);
            }
        }

        // Pass 2: what must be mapped: every page of a dirty desired mapping that no surviving live page already
        // translates the same way.
        var fresh = new List<DmaMapping>();
        foreach (int k in dirty)
        {
            ref readonly var d = ref want[k];
            ulong cursor = d.Iova.Start;
            bool finished = false;
            for (int q = SortedRanges.FirstEndingAfter(lives, d.Iova.Start); q < lives.Length && lives[q].Iova.Start < d.Iova.End && !finished; q++)
            {
                ref readonly var l = ref lives[q];
                bool survives = bisect ? SameTranslation(l, d) : removedIndices.BinarySearch(q) < 0;
                if (!survives)
                {
                    continue;
                }

                var covered = l.Iova.Intersect(d.Iova);
                if (covered.Start > cursor && !AddPieces(fresh, d, AddressRange.FromBounds(cursor, covered.Start), options, splitPoints))
                {
                    return Unlistable(live.Count, options.Backend);
                }

                finished = covered.End >= d.Iova.End;
                cursor = finished ? cursor : (ulong)covered.End;
            }

            if (!finished && !AddPieces(fresh, d, AddressRange.FromBounds(cursor, d.Iova.End), options, splitPoints))
            {
                return Unlistable(live.Count, options.Backend);
            }
        }

        return Assemble(live.Count, groups, fresh, collateral, options.Backend);
    }

    // The live list as a span without copying for the lists callers hold (an ImmutableArray, an array, a List).
    private static ReadOnlySpan<DmaMapping> AsSpan(IReadOnlyList<DmaMapping> live) => live switch
    {
        ImmutableArray<DmaMapping> a => a.AsSpan(),
        DmaMapping[] a => a,
        List<DmaMapping> l => CollectionsMarshal.AsSpan(l),
        _ => live.ToArray(),
    };

    // The common case of the walk, so it is one cheap comparison: the same mapping on both sides.
    private static bool Identical(in DmaMapping a, in DmaMapping b) =>
        a.Iova.Start == b.Iova.Start && a.Offset == b.Offset && a.Writable == b.Writable && a.Iova.Equals(b.Iova)
        && (ReferenceEquals(a.Region, b.Region) || string.Equals(a.Region, b.Region, StringComparison.Ordinal));

    /// <summary>Whether two mappings translate every IOVA they share the same way: same region and writability,
    /// and the same IOVA-to-offset shift (wrapping arithmetic is exact because both offsets are real).</summary>
    internal static bool SameTranslation(in DmaMapping a, in DmaMapping b) =>
        a.Writable == b.Writable
        && unchecked(a.Offset - a.Iova.Start) == unchecked(b.Offset - b.Iova.Start)
        && string.Equals(a.Region, b.Region, StringComparison.Ordinal);

    /// <summary>Splits live mapping <paramref name="l"/> into runs that keep or change translation in
    /// <paramref name="want"/> (starting the search at index <paramref name="j"/>); returns whether any run changes.</summary>
    internal static bool CompareRuns(in DmaMapping l, ReadOnlySpan<DmaMapping> want, int j, List<Run> runs)
    {
        runs.Clear();
        bool changed = false;
        ulong cursor = l.Iova.Start;
        bool done = false;
        for (int k = j; k < want.Length && want[k].Iova.Start < l.Iova.End && !done; k++)
        {
            var d = want[k];
            var overlap = d.Iova.Intersect(l.Iova);
            if (overlap.IsEmpty)
            {
                continue;
            }

            if (overlap.Start > cursor)
            {
                AddRun(runs, AddressRange.FromBounds(cursor, overlap.Start), unchanged: false);
                changed = true;
            }

            bool same = SameTranslation(l, d);
            AddRun(runs, overlap, same);
            changed |= !same;
            if (overlap.End >= l.Iova.End)
            {
                done = true;
            }
            else
            {
                cursor = (ulong)overlap.End;
            }
        }

        if (!done)
        {
            AddRun(runs, AddressRange.FromBounds(cursor, l.Iova.End), unchanged: false);
            changed = true;
        }

        return changed;
    }

    private static void AddRun(List<Run> runs, AddressRange range, bool unchanged)
    {
        if (runs.Count > 0 && runs[^1].Unchanged == unchanged && runs[^1].Range.End == range.Start)
        {
            runs[^1] = new Run(AddressRange.FromBounds(runs[^1].Range.Start, range.End), unchanged);
        }
        else
        {
            runs.Add(new Run(range, unchanged));
        }
    }

    private static void Extend(ref Group g, ref bool isOpen, int liveIndex, in DmaMapping l, AddressRange piece, bool bisect)
    {
        if (!isOpen)
        {
            g = new Group { Start = piece.Start, LeftRemains = bisect && piece.Start > l.Iova.Start ? 1 : 0, LastLive = -1 };
            isOpen = true;
        }

        g.End = piece.End;
        if (piece.Start > 0 && piece.Start <= HalfSpace)
        {
            g.Middle = piece.Start;
        }

        if (g.LastLive != liveIndex)
        {
            g.Overlapped++;
            g.LastLive = liveIndex;
        }
    }

    // A kept run of live mapping keptIndex (or the end of the walk, -1) closes the open group; when the kept run is
    // the outside part of the group's last mapping, that mapping survives the cut as one more piece.
    private static void Close(ref Group g, ref bool isOpen, List<Group> groups, int keptIndex)
    {
        if (!isOpen)
        {
            return;
        }

        if (g.LastLive == keptIndex)
        {
            g.RightRemains = 1;
        }

        groups.Add(g);
        isOpen = false;
    }

    // A plan whose new mappings alone pass the entry limit is refused without listing them: a fixed granule over
    // a huge section (2^60 bytes in 2 MiB pieces) has more pieces than could ever be enumerated.
    private static DmaPlan Unlistable(int liveCount, DmaBackendTraits backend) =>
        new([], 0, 0, liveCount, (int)Math.Min(int.MaxValue, (long)backend.EntryLimit + 1), ExceedsEntryLimit: true);

    // Returns false when the pieces would take the new mappings past the entry limit (see Unlistable).
    private static bool AddPieces(List<DmaMapping> fresh, in DmaMapping d, AddressRange piece, PlanOptions options, IReadOnlyList<ulong>? splitPoints)
    {
        if (piece.IsEmpty)
        {
            return true;
        }

        if (options.Granularity == MappingGranularity.FixedGranule)
        {
            UInt128 pieces = ((piece.End - 1) / options.Granule) - (piece.Start / options.Granule) + 1;
            if ((UInt128)fresh.Count + pieces > (UInt128)options.Backend.EntryLimit)
            {
                return false;
            }
        }

        ulong start = piece.Start;
        switch (options.Granularity)
        {
            case MappingGranularity.RegionBoundaries when splitPoints is { Count: > 0 }:
                for (int s = FirstAbove(splitPoints, start); s < splitPoints.Count && splitPoints[s] < piece.End; s++)
                {
                    fresh.Add(d.Clip(AddressRange.FromBounds(start, splitPoints[s])));
                    start = splitPoints[s];
                }

                break;
            case MappingGranularity.FixedGranule:
                for (UInt128 cut = (((UInt128)start / options.Granule) + 1) * options.Granule; cut < piece.End; cut += options.Granule)
                {
                    fresh.Add(d.Clip(AddressRange.FromBounds(start, cut)));
                    start = (ulong)cut;
                }

                break;
        }

        fresh.Add(d.Clip(AddressRange.FromBounds(start, piece.End)));
        return true;
    }

    private static int FirstAbove(IReadOnlyList<ulong> points, ulong value)
    {
        int lo = 0, hi = points.Count;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (points[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static DmaPlan Assemble(int liveCount, List<Group> groups, List<DmaMapping> fresh, List<AddressRange> collateral, DmaBackendTraits backend)
    {
        var ops = ImmutableArray.CreateBuilder<DmaOperation>();
        int count = liveCount, peak = liveCount, largest = 0;
        int n = 0, c = 0;
        foreach (var g in groups)
        {
            var span = AddressRange.FromBounds(g.Start, g.End);
            int firstUnmap = ops.Count;
            ulong secondHalf = ulong.MaxValue;
            if (span.Size == AddressSpace.End && backend.SupportsUnmapAll)
            {
                ops.Add(new DmaOperation.UnmapAll());
            }
            else if (span.Size == AddressSpace.End)
            {
                // No FLAG_ALL: two UNMAPs, cut at a removed piece's start so neither bisects (2^63 when there is none).
                secondHalf = g.Middle != 0 ? g.Middle : (ulong)HalfSpace;
                ops.Add(new DmaOperation.Unmap(AddressRange.FromBounds(0, secondHalf)));
                ops.Add(new DmaOperation.Unmap(AddressRange.FromBounds(secondHalf, AddressSpace.End)));
            }
            else
            {
                ops.Add(new DmaOperation.Unmap(span));
            }

            count += g.LeftRemains + g.RightRemains - g.Overlapped;
            peak = Math.Max(peak, count);
            while (n < fresh.Count && fresh[n].Iova.Start < span.End)
            {
                var m = fresh[n++];
                Debug.Assert(m.Iova.Overlaps(span) || m.Iova.End <= span.Start, "new mappings are ascending and do not cross a kept page");
                if (!m.Iova.Overlaps(span))
                {
                    continue;
                }

                ops.Add(new DmaOperation.Map(m));
                count++;
                peak = Math.Max(peak, count);
                largest = Math.Max(largest, Window(collateral, ref c, m.Iova, ops.Count - 1, firstUnmap, secondHalf));
            }
        }

        // Fresh memory: MAPs that overlap no group span (the skipped ones above are re-visited here).
        var spans = groups.ConvertAll(g => AddressRange.FromBounds(g.Start, g.End));
        foreach (var m in fresh)
        {
            if (!InAnyGroup(spans, m.Iova))
            {
                ops.Add(new DmaOperation.Map(m));
                count++;
                peak = Math.Max(peak, count);
            }
        }

        UInt128 bytes = 0;
        foreach (var r in collateral)
        {
            bytes += r.Size;
        }

        return new DmaPlan(ops.DrainToImmutable(), bytes, largest, count, peak, peak > backend.EntryLimit);
    }

    // The largest window among collateral pages that the MAP at mapIndex restores.
    private static int Window(List<AddressRange> collateral, ref int c, AddressRange mapped, int mapIndex, int firstUnmap, ulong secondHalf)
    {
        while (c < collateral.Count && collateral[c].End <= mapped.Start)
        {
            c++;
        }

        int largest = 0;
        for (int k = c; k < collateral.Count && collateral[k].Start < mapped.End; k++)
        {
            var restored = collateral[k].Intersect(mapped);
            if (restored.IsEmpty)
            {
                continue;
            }

            // ulong.MaxValue means the group was removed by one ioctl; a restored range may end at 2^64, past it.
            int unmap = secondHalf == ulong.MaxValue || restored.End <= secondHalf ? firstUnmap : firstUnmap + 1;
            largest = Math.Max(largest, mapIndex - unmap);
        }

        return largest;
    }

    private static bool InAnyGroup(List<AddressRange> spans, AddressRange range)
    {
        int k = SortedRanges.FirstEndingAfter(spans, range.Start);
        return k < spans.Count && spans[k].Start < range.End;
    }

    /// <summary>A stretch of a live mapping that keeps its translation or not.</summary>
    internal readonly record struct Run(AddressRange Range, bool Unchanged);

    // One UNMAP's worth of removed pieces: its span, how many live mappings it touches, and how many outside
    // pieces of those survive a cut (split-capable backends only).
    private struct Group
    {
        public ulong Start;
        public UInt128 End;
        public int Overlapped;
        public int LeftRemains;
        public int RightRemains;
        public int LastLive;
        public ulong Middle;
    }
}
