namespace Verify.Vfio;

/// <summary>How a coalescing listener cuts the pages it must map into MAP calls (docs/semantics.md 3: fewer mappings
/// now versus less collateral later).</summary>
public enum MappingGranularity
{
    /// <summary>One mapping per range of the simplified view (clipped to the pages that need mapping): fewest
    /// mappings, but a later change inside a range forces unmapping all of it.</summary>
    PerRange,

    /// <summary>Also split at the range starts of the unsimplified view (region and alias boundaries), so a PAM
    /// flip touches only its own segment.</summary>
    RegionBoundaries,

    /// <summary>Also split at every multiple of <see cref="PlanOptions.Granule"/>, as virtio-mem does with memslots.</summary>
    FixedGranule,
}
