using Verify.MemoryMap;

namespace Verify.Harness.Implementations;

/// <summary>What one <c>unmap_pages</c> call answered.</summary>
/// <param name="Unmapped">Bytes removed.</param>
/// <param name="Gathered">The range the call added to the gather (<c>iommu_iotlb_gather_add_page</c>), or null.</param>
public readonly record struct PagesUnmapped(ulong Unmapped, AddressRange? Gathered);
