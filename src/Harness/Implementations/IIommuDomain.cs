using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Harness.Implementations;

/// <summary>
/// A user's IOMMU page table shaped like Linux's <c>iommu_domain_ops</c> (docs/protocol.md, "page-table"): the harness
/// plays the IOMMU core (<c>iommu_map</c>/<c>iommu_unmap</c> choosing page sizes with <c>iommu_pgsize</c>, rolling
/// back a failed map, keeping the gather) and owns the IOTLB, so PT-01, PT-04 and PT-05 judge what the driver does.
/// A domain lives as long as the scenario that allocated it.
/// </summary>
public interface IIommuDomain
{
    /// <summary><c>map_pages</c>: maps <paramref name="pageCount"/> pages of <paramref name="pageSize"/> from
    /// <paramref name="iova"/> to <paramref name="paddr"/>.</summary>
    /// <param name="iova">First IOVA, aligned to <paramref name="pageSize"/>.</param>
    /// <param name="paddr">First physical address, aligned to <paramref name="pageSize"/>.</param>
    /// <param name="pageSize">A leaf size of the format.</param>
    /// <param name="pageCount">At least one.</param>
    /// <param name="protection">Read, write or both.</param>
    /// <returns>The errno and the bytes mapped (on an error, those mapped before it).</returns>
    PagesMapped MapPages(ulong iova, ulong paddr, ulong pageSize, ulong pageCount, Protection protection);

    /// <summary><c>unmap_pages</c>: removes the leaves from <paramref name="iova"/> on, as the driver's partial-leaf
    /// policy says.</summary>
    /// <param name="iova">First IOVA.</param>
    /// <param name="pageSize">The core's page size for the request.</param>
    /// <param name="pageCount">Pages of that size asked.</param>
    /// <returns>Bytes removed (0 for a hole or a refused partial leaf; more than asked when a whole larger leaf went)
    /// and the range added to the gather.</returns>
    PagesUnmapped UnmapPages(ulong iova, ulong pageSize, ulong pageCount);

    /// <summary><c>iova_to_phys</c>: walks the table (not the IOTLB).</summary>
    /// <param name="iova">Any address below the input width.</param>
    /// <returns>The physical address of that byte and its leaf's rights, or null for a hole.</returns>
    Translation? IovaToPhys(ulong iova);

    /// <summary><c>iotlb_sync</c>: the gather collected since the last sync, handed back.</summary>
    /// <param name="gathered">The union of the ranges the unmaps added.</param>
    void IotlbSync(AddressRange gathered);
}
