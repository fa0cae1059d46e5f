using System.Collections.Immutable;
using Verify.IommuModel.Host;

namespace Verify.IommuModel.Type1;

/// <summary>The type1 interface a container was opened with (<c>VFIO_TYPE1_IOMMU</c> or <c>VFIO_TYPE1v2_IOMMU</c>).</summary>
public enum Type1Version
{
    /// <summary>v1: an UNMAP starting inside a mapping removes nothing; one covering a mapping's first byte removes it whole.</summary>
    V1,

    /// <summary>v2 (what QEMU uses): an UNMAP that bisects a mapping is EINVAL and changes nothing.</summary>
    V2,
}

/// <summary>The variants of one type1 container (docs/semantics.md 8).</summary>
public sealed record Type1Options
{
    /// <summary>The kernel's default <c>dma_entry_limit</c>.</summary>
    public const int DefaultDmaEntryLimit = 65535;

    /// <summary>v2, EOVERFLOW on wrap, 65535 entries, 4 KiB pages, IOVAs below 2^48, per-mapping accounting.</summary>
    public static Type1Options Default { get; } = new();

    /// <summary>The interface version.</summary>
    public Type1Version Version { get; init; } = Type1Version.V2;

    /// <summary>What MAP returns when <c>iova + size - 1</c> or <c>vaddr + size - 1</c> wraps:
    /// <see cref="Errno.EOVERFLOW"/> on newer kernels, <see cref="Errno.EINVAL"/> on older ones.</summary>
    public Errno WrapErrno { get; init; } = Errno.EOVERFLOW;

    /// <summary>Most live mappings (<c>dma_entry_limit</c>); at least 1.</summary>
    public int DmaEntryLimit { get; init; } = DefaultDmaEntryLimit;

    /// <summary>The valid IOVA ranges (apertures minus reserved regions), ascending and disjoint; a MAP must fit in one.</summary>
    public ImmutableArray<AddressRange> ValidIovaRanges { get; init; } = [AddressRange.FromBounds(0, (UInt128)1 << 48)];

    /// <summary>The smallest IOMMU page size of the container's domains: the alignment of every MAP and UNMAP. A power of two.</summary>
    public ulong MinPageSize { get; init; } = 0x1000;

    /// <summary>How pinned pages are charged to <c>locked_vm</c>.</summary>
    public AccountingMode Accounting { get; init; } = AccountingMode.PerMapping;

    /// <summary>A deliberate bug, so a demonstration can show the properties catch it; <see cref="Type1Bug.None"/>
    /// in every correct variant.</summary>
    internal Type1Bug Bug { get; init; } = Type1Bug.None;

    /// <summary>Whether two containers are opened with the same variant (valid IOVA ranges compared in order).</summary>
    /// <param name="other">The other options.</param>
    /// <returns>True when equal by value.</returns>
    public bool Equals(Type1Options? other) =>
        ReferenceEquals(this, other)
        || (other is not null && Version == other.Version && WrapErrno == other.WrapErrno && DmaEntryLimit == other.DmaEntryLimit
            && MinPageSize == other.MinPageSize && Accounting == other.Accounting && Bug == other.Bug
            && ValidIovaRanges.SequenceEqual(other.ValidIovaRanges));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Version);
        hash.Add(WrapErrno);
        hash.Add(DmaEntryLimit);
        hash.Add(MinPageSize);
        hash.Add(Accounting);
        hash.Add(Bug);
        foreach (var range in ValidIovaRanges)
        {
            hash.Add(range);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"type1 {Version}{(Bug == Type1Bug.None ? "" : $" bug={Bug}")} wrap={WrapErrno} limit={DmaEntryLimit} page=0x{MinPageSize:x} {Accounting} valid={string.Join(",", ValidIovaRanges)}";
}

/// <summary>Deliberate departures from the kernel, used only to show that the T1 properties catch them.</summary>
internal enum Type1Bug
{
    /// <summary>The kernel's behaviour.</summary>
    None,

    /// <summary>v2 skips its no-bisect check and behaves like v1 (a request starting inside a mapping returns 0,
    /// one ending inside removes the whole mapping) instead of failing with EINVAL.</summary>
    BisectUnderV2,

    /// <summary>Teardown unpins before unmapping from the domains and syncing the IOTLB: a device can still reach
    /// freed pages (the order docs/semantics.md 5.2 forbids).</summary>
    UnpinBeforeSync,

    /// <summary>Accounting forgets that reserved pfns (another device's BAR) are never charged: pinning them charges
    /// <c>locked_vm</c> as if they were RAM (docs/semantics.md 5.3).</summary>
    ChargesReservedPfns,

    /// <summary>An external pin of a page that is already pinned returns its pfn without taking a reference, so one
    /// unpin unpins a page another pin still relies on (docs/semantics.md 5.4).</summary>
    PinWithoutReference,

    /// <summary>The host migrates pinned pages as if they were not pinned: a device then reaches memory the process
    /// no longer has there (docs/semantics.md 5.3). Applied to the process the scenario builds.</summary>
    MigratesPinnedPages,

    /// <summary>UNMAP_DMA removes a mapping that still has external pins without calling the devices' <c>dma_unmap</c>,
    /// leaving their pins behind (docs/semantics.md 5.4).</summary>
    UnmapIgnoresExternalPins,
}
