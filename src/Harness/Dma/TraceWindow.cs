using Verify.MemoryMap;

namespace Verify.Harness.Dma;

/// <summary>
/// A DMA window a trace log shows: IOVA unmapped and mapped back to the same host address within one burst, so a
/// device doing DMA there in between faults although nothing changed for it.
/// </summary>
/// <remarks>The vfio listener's <c>region_add</c> event does not print whether a section is read-only, so in a type1
/// trace a section re-added with only its permission changed (a PAM segment turning read-only) shows as a window; the
/// iommufd backend's events print <c>readonly</c>, and there a permission change is no window.</remarks>
/// <param name="Burst">The burst.</param>
/// <param name="Iova">The collateral IOVA range.</param>
/// <param name="Vaddr">The host address of <paramref name="Iova"/>'s start, before and after.</param>
/// <param name="UnmapLine">The line of the event that unmapped it.</param>
/// <param name="MapLine">The line of the event that mapped it back.</param>
/// <param name="Calls">How many ioctls later it was mapped back (1: the very next call).</param>
/// <param name="Microseconds">How long it was unmapped, when both lines carry a timestamp.</param>
public sealed record TraceWindow(int Burst, AddressRange Iova, ulong Vaddr, int UnmapLine, int MapLine, int Calls, UInt128? Microseconds)
{
    /// <summary>The collateral in pages of <paramref name="pageSize"/> bytes.</summary>
    /// <param name="pageSize">The page size.</param>
    /// <returns>The page count.</returns>
    public UInt128 Pages(ulong pageSize) => Iova.Size / pageSize;
}
