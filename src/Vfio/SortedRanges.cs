namespace Verify.Vfio;

/// <summary>Binary search over ascending, disjoint ranges.</summary>
internal static class SortedRanges
{
    /// <summary>The index of the first range that ends after <paramref name="address"/> (Count when none): the first
    /// one that can contain or follow it.</summary>
    public static int FirstEndingAfter(IReadOnlyList<AddressRange> ranges, ulong address)
    {
        int lo = 0, hi = ranges.Count;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (ranges[mid].End <= address)
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

    /// <summary>The index of the first mapping that ends after <paramref name="address"/> (Length when none).</summary>
    public static int FirstEndingAfter(ReadOnlySpan<DmaMapping> mappings, ulong address)
    {
        int lo = 0, hi = mappings.Length;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (mappings[mid].Iova.End <= address)
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
}
