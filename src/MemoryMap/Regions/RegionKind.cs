namespace Verify.MemoryMap.Regions;

/// <summary>What a memory region is (docs/semantics.md 2.1).</summary>
public enum RegionKind : byte
{
    /// <summary>Holds subregions and has no content of its own; renders nothing itself.</summary>
    Container,

    /// <summary>Guest RAM: DMA-able, writable unless a read-only flag is OR-ed in on the path.</summary>
    Ram,

    /// <summary>RAM that is read-only to the guest; renders as read-only RAM.</summary>
    Rom,

    /// <summary>A ROM device: reads come from RAM in ROM mode (<c>romd</c>), otherwise it is MMIO.</summary>
    RomDevice,

    /// <summary>A device BAR mapped into host memory (<c>ramd</c>).</summary>
    RamDevice,

    /// <summary>Emulated MMIO: not DMA-able.</summary>
    Io,

    /// <summary>Translated by a guest IOMMU.</summary>
    Iommu,

    /// <summary>A window onto another region at an offset.</summary>
    Alias,
}
