using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Vfio;

/// <summary>What the vfio listener does with one section: the mapping it creates, or why it creates none.</summary>
/// <param name="Section">The flat range.</param>
/// <param name="Mapping">The one MAP of its aligned interior, when it is mapped.</param>
/// <param name="Skip">Why it is not mapped, otherwise.</param>
public readonly record struct DmaSection(FlatRange Section, DmaMapping? Mapping, SectionSkipReason? Skip)
{
    /// <summary>
    /// Applies QEMU's <c>vfio_listener_region_add</c> rules in its order: a section that is neither RAM nor
    /// IOMMU, protected, or starting with bit 63 set is skipped; one whose address-space offset and region
    /// offset differ within a host page is an error; only the host-page-aligned interior is mapped (nothing if
    /// empty); an IOMMU section gets a notifier instead of a map; a ram-device section must also be aligned to
    /// the smallest IOMMU page. The mapping is read-only when the section is.
    /// </summary>
    /// <param name="section">A range of a FlatView.</param>
    /// <param name="options">Host page size, IOMMU page size, protected regions.</param>
    /// <returns>The decision.</returns>
    public static DmaSection Of(in FlatRange section, DmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool ram = section.Kind is RegionKind.Ram or RegionKind.RamDevice;
        if ((!ram && section.Kind != RegionKind.Iommu) || options.ProtectedRegions.Contains(section.Region) || (section.Range.Start & AddressSpace.Bit63) != 0)
        {
            return new DmaSection(section, null,
                !ram && section.Kind != RegionKind.Iommu ? SectionSkipReason.NotRam
                : options.ProtectedRegions.Contains(section.Region) ? SectionSkipReason.Protected
                : SectionSkipReason.Bit63);
        }

        ulong pageMask = options.HostPageSize - 1;
        if ((section.Range.Start & pageMask) != (section.OffsetInRegion & pageMask))
        {
            return new DmaSection(section, null, SectionSkipReason.OffsetMisaligned);
        }

        // REAL_HOST_PAGE_ALIGN(start) and (start + size) & page_mask, in 65 bits: the end may be 2^64.
        UInt128 start = ((UInt128)section.Range.Start + pageMask) & ~(UInt128)pageMask;
        UInt128 end = section.Range.End & ~(UInt128)pageMask;
        if (start >= end)
        {
            return new DmaSection(section, null, SectionSkipReason.EmptyInterior);
        }

        if (section.Kind == RegionKind.Iommu)
        {
            return new DmaSection(section, null, SectionSkipReason.Iommu) { Interior = AddressRange.FromBounds((ulong)start, end) };
        }

        ulong iommuMask = options.IommuMinPageSize - 1;
        if (section.Kind == RegionKind.RamDevice && ((start & iommuMask) != 0 || ((end - start) & iommuMask) != 0))
        {
            return new DmaSection(section, null, SectionSkipReason.RamDeviceUnaligned);
        }

        var interior = AddressRange.FromBounds((ulong)start, end);
        var mapping = new DmaMapping(interior, section.Region, section.OffsetInRegion + (interior.Start - section.Range.Start), !section.ReadOnly);
        return new DmaSection(section, mapping, null);
    }

    /// <summary>
    /// The host-page interior QEMU computes for the section (<c>vfio_get_section_iova_range</c>): the mapping's IOVA
    /// when it is mapped, and for an IOMMU section the range its region_del unmaps in one call after removing the
    /// notifier; null when the section is skipped before the interior is computed or the interior is empty.
    /// </summary>
    public AddressRange? Interior { get => field ?? Mapping?.Iova; init => field = value; }

    /// <inheritdoc/>
    public override string ToString() => Mapping is { } m ? $"{Section} => map {m}" : $"{Section} => skip ({Skip})";
}
