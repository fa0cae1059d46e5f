namespace Verify.Vfio;

/// <summary>Why the vfio listener maps nothing for a section (docs/semantics.md 2.4).</summary>
public enum SectionSkipReason
{
    /// <summary>Neither RAM nor IOMMU (i/o, a ROM device outside RAM semantics).</summary>
    NotRam,

    /// <summary>A protected (confidential-guest) region.</summary>
    Protected,

    /// <summary>The section starts with bit 63 set (a 64-bit BAR sizing artefact).</summary>
    Bit63,

    /// <summary>Address-space offset and region offset differ within a host page: an error QEMU reports.</summary>
    OffsetMisaligned,

    /// <summary>The host-page-aligned interior is empty.</summary>
    EmptyInterior,

    /// <summary>A ram-device section not aligned to the smallest IOMMU page (QEMU warns and skips it).</summary>
    RamDeviceUnaligned,

    /// <summary>An IOMMU section: a notifier is registered and the guest IOMMU replays into it; no direct map.</summary>
    Iommu,
}
