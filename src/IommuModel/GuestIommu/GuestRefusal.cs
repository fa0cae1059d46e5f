namespace Verify.IommuModel.GuestIommu;

/// <summary>Why the guest IOMMU refused a guest request; a value, never an exception.</summary>
public enum GuestRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>The IOVA range or guest physical address is not aligned to the 4 KiB guest page, or is empty.</summary>
    Misaligned,

    /// <summary>The IOVA range reaches past the guest IOMMU's address width.</summary>
    OutsideAddressWidth,

    /// <summary>A MAP overlaps an existing mapping (virtio-iommu's rule; a VT-d guest driver never maps over a present entry).</summary>
    Overlap,

    /// <summary>A virtio-iommu UNMAP would split an interval: UNMAP must cover whole intervals.</summary>
    SplitsInterval,

    /// <summary>Device assignment under VT-d without caching mode: QEMU could not learn of new guest mappings.</summary>
    NoCachingMode,

    /// <summary>The device slot already holds a device, or holds none when one is needed.</summary>
    WrongSlotState,
}
