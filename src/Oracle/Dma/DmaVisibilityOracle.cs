using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Vfio;

namespace Verify.Oracle.Dma;

/// <summary>
/// What a device should reach at one IOVA, decided from docs/semantics.md 2.4 for that address alone: find the
/// section holding it; it must be RAM (a ROM is read-only RAM) or ram-device, not protected, not starting with
/// bit 63; its address and region offset must agree within a host page; the address must lie in the host-page
/// rounded interior; a ram-device interior must be aligned to the smallest IOMMU page. Slow on purpose.
/// </summary>
public static class DmaVisibilityOracle
{
    /// <summary>The expected translation of <paramref name="iova"/>, or null when a device reaches nothing.</summary>
    /// <param name="view">The view.</param>
    /// <param name="options">Host page size, IOMMU page size, protected regions.</param>
    /// <param name="iova">An address.</param>
    /// <returns>The translation or null.</returns>
    public static DmaTranslation? Translate(FlatView view, DmaOptions options, ulong iova)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var s in view.Ranges)
        {
            if (s.Range.Contains(iova))
            {
                return TranslateSection(s, options, iova);
            }
        }

        return null;
    }

    /// <summary>
    /// The one MAP QEMU's vfio listener issues for a section, read from docs/semantics.md 2.4 (the same rules as
    /// <see cref="Translate"/>, for a whole section): null when it maps nothing.
    /// </summary>
    /// <param name="s">A section.</param>
    /// <param name="options">The options.</param>
    /// <returns>The mapping or null.</returns>
    public static DmaMapping? SectionMap(FlatRange s, DmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        UInt128 p = options.HostPageSize;
        UInt128 start = s.Range.Start, end = (UInt128)s.Range.Start + s.Range.Size;
        UInt128 first = (start + p - 1) / p * p, last = end / p * p;
        if (first >= last || TranslateSection(s, options, (ulong)first) is not { } t)
        {
            return null;
        }

        return new DmaMapping(AddressRange.FromBounds((ulong)first, last), t.Region, t.Offset, t.Writable);
    }

    /// <summary>
    /// The one UNMAP QEMU's vfio listener issues when a section is deleted, read from docs/semantics.md 2.4: the
    /// interior <see cref="SectionMap"/> mapped for a RAM section, and for an IOMMU section (mapped by its notifier,
    /// never by the listener) the host-page interior of the whole section, under the same skip rules: QEMU removes
    /// the notifier and relies on "one big unmap" to remove every page it copied. Null when it unmaps nothing.
    /// </summary>
    /// <param name="s">A deleted section.</param>
    /// <param name="options">The options.</param>
    /// <returns>The IOVA range unmapped, or null.</returns>
    public static AddressRange? SectionUnmap(FlatRange s, DmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (s.Kind != RegionKind.Iommu)
        {
            return SectionMap(s, options)?.Iova;
        }

        UInt128 p = options.HostPageSize;
        UInt128 start = s.Range.Start, end = (UInt128)s.Range.Start + s.Range.Size;
        UInt128 first = (start + p - 1) / p * p, last = end / p * p;
        if (options.ProtectedRegions.Contains(s.Region) || s.Range.Start >= (1UL << 63) || s.Range.Start % p != s.OffsetInRegion % p || first >= last)
        {
            return null;
        }

        return AddressRange.FromBounds((ulong)first, last);
    }

    /// <summary>What a list of live mappings translates <paramref name="iova"/> to, by linear scan.</summary>
    /// <param name="mappings">Live mappings (any order).</param>
    /// <param name="iova">An address.</param>
    /// <returns>The translation or null.</returns>
    public static DmaTranslation? Lookup(IEnumerable<DmaMapping> mappings, ulong iova)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        foreach (var m in mappings)
        {
            if (iova >= m.Iova.Start && iova < (UInt128)m.Iova.Start + m.Iova.Size)
            {
                return new DmaTranslation(m.Region, m.Offset + (iova - m.Iova.Start), m.Writable);
            }
        }

        return null;
    }

    // The rules for one section that holds iova.
    private static DmaTranslation? TranslateSection(FlatRange s, DmaOptions options, ulong iova)
    {
        UInt128 start = s.Range.Start, end = (UInt128)s.Range.Start + s.Range.Size;
        if (!(s.Kind == RegionKind.Ram || s.Kind == RegionKind.RamDevice) || options.ProtectedRegions.Contains(s.Region) || s.Range.Start >= (1UL << 63))
        {
            return null;
        }

        UInt128 p = options.HostPageSize;
        if (s.Range.Start % p != s.OffsetInRegion % p)
        {
            return null;
        }

        UInt128 first = (start + p - 1) / p * p;
        UInt128 last = end / p * p;
        if (first >= last || iova < first || iova >= last)
        {
            return null;
        }

        UInt128 q = options.IommuMinPageSize;
        if (s.Kind == RegionKind.RamDevice && (first % q != 0 || (last - first) % q != 0))
        {
            return null;
        }

        return new DmaTranslation(s.Region, s.OffsetInRegion + (iova - s.Range.Start), !s.ReadOnly);
    }
}
