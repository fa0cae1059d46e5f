namespace Verify.IommuModel.GuestIommu;

/// <summary>Which guest IOMMU's rules apply (docs/semantics.md 7).</summary>
public enum GuestIommuKind
{
    /// <summary>Intel VT-d: page-table leaves of 4 KiB or 2 MiB; an unmap removes every leaf it touches whole (the
    /// guest driver does not split a superpage); QEMU learns of changes only through invalidations (caching mode).</summary>
    VtD,

    /// <summary>virtio-iommu: one interval per MAP request; a MAP overlapping an interval and an UNMAP that would
    /// split one are refused; QEMU learns of every MAP and UNMAP at once, no invalidation needed.</summary>
    VirtioIommu,
}
