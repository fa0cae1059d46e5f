using System.Numerics;

namespace Verify.IommuModel.PageTables;

/// <summary>
/// The kernel's <c>iommu_pgsize</c> (docs/semantics.md 4.2): the largest supported page size that both
/// addresses are aligned to and that fits in what is left, and how many such pages to emit before a
/// larger page could take over.
/// </summary>
public static class PageSizeChoice
{
    /// <summary>Chooses the next run of pages.</summary>
    /// <param name="pageSizeBitmap">The domain's page-size bitmap (bit <c>s</c> for size 2^s).</param>
    /// <param name="iova">Where the run starts; aligned to the smallest page.</param>
    /// <param name="pa">The physical address of <paramref name="iova"/>; for unmap pass <paramref name="iova"/>.</param>
    /// <param name="size">Bytes left; at least the smallest page.</param>
    /// <returns>The page size and the number of pages of that size to emit.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No supported size fits (misaligned or too small a request).</exception>
    public static (ulong PageSize, ulong Count) Next(ulong pageSizeBitmap, ulong iova, ulong pa, ulong size)
    {
        ulong addrMerge = iova | pa;
        ulong sizes = size == 0 ? 0 : pageSizeBitmap & UpTo(BitOperations.Log2(size));
        if (addrMerge != 0)
        {
            sizes &= UpTo(BitOperations.TrailingZeroCount(addrMerge));
        }

        if (sizes == 0)
        {
            Preconditions.Throw(nameof(size), size, $"should hold a page of bitmap 0x{pageSizeBitmap:x} at iova 0x{iova:x}, pa 0x{pa:x}");
        }

        int index = BitOperations.Log2(sizes);
        ulong pageSize = 1UL << index;
        ulong larger = pageSizeBitmap & ~UpTo(index);
        if (larger != 0)
        {
            ulong next = 1UL << BitOperations.TrailingZeroCount(larger);
            // A bigger page only helps when both addresses sit at the same offset inside it.
            if (((iova ^ pa) & (next - 1)) == 0)
            {
                ulong offset = next - (addrMerge & (next - 1));
                if ((UInt128)offset + next <= size)
                {
                    size = offset;
                }
            }
        }

        return (pageSize, size >> index);
    }

    private static ulong UpTo(int bit) => bit >= 63 ? ulong.MaxValue : (2UL << bit) - 1;
}
