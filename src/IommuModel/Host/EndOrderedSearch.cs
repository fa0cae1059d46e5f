namespace Verify.IommuModel.Host;

/// <summary>Binary search over items kept ascending and disjoint, by where they end.</summary>
internal static class EndOrderedSearch
{
    /// <summary>The index of the first item ending after <paramref name="address"/> (Count when none): the first
    /// one that can contain or follow it. O(log n).</summary>
    public static int FirstEndingAfter<T>(List<T> items, ulong address, Func<T, UInt128> end)
    {
        int lo = 0, hi = items.Count;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (end(items[mid]) <= address)
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
