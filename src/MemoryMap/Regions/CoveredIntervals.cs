namespace Verify.MemoryMap.Regions;

/// <summary>
/// A set of addresses kept as disjoint, non-touching intervals in a sorted set. Claiming a span returns
/// the parts of it not covered yet and then covers the whole span; intervals a claim overlaps or touches
/// are merged into one, so the set never holds more intervals than claims were made.
/// </summary>
internal sealed class CoveredIntervals
{
    private readonly SortedSet<Interval> _set = new(Comparer<Interval>.Create(static (a, b) => a.Start.CompareTo(b.Start)));

    /// <summary>Covers <c>[start, end)</c> and returns the gaps it filled, in ascending order.</summary>
    public List<AddressRange> ClaimGaps(ulong start, UInt128 end)
    {
        System.Diagnostics.Debug.Assert(end > start && end <= AddressSpace.End, "a claim is a non-empty span");
        var gaps = new List<AddressRange>();
        ulong mergedStart = start;
        UInt128 mergedEnd = end;
        UInt128 cursor = start;

        if (start > 0 && _set.GetViewBetween(new Interval(0, 0), new Interval(start - 1, 0)).Max is { } before && before.End >= start)
        {
            mergedStart = before.Start;
            mergedEnd = UInt128.Max(mergedEnd, before.End);
            cursor = UInt128.Max(cursor, before.End);
            _set.Remove(before);
        }

        // Intervals starting in [start, end]: those starting at `end` only touch, and merge all the same.
        ulong last = end > ulong.MaxValue ? ulong.MaxValue : (ulong)end;
        var after = _set.GetViewBetween(new Interval(start, 0), new Interval(last, 0)).ToList();
        foreach (var interval in after)
        {
            if (interval.Start > cursor)
            {
                gaps.Add(AddressRange.FromBounds((ulong)cursor, interval.Start));
            }

            cursor = UInt128.Max(cursor, interval.End);
            mergedEnd = UInt128.Max(mergedEnd, interval.End);
            _set.Remove(interval);
        }

        if (cursor < end)
        {
            gaps.Add(AddressRange.FromBounds((ulong)cursor, end));
        }

        _set.Add(new Interval(mergedStart, mergedEnd));
        return gaps;
    }

    private readonly record struct Interval(ulong Start, UInt128 End);
}
