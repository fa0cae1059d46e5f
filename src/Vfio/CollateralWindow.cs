using Verify.MemoryMap;

namespace Verify.Vfio;

/// <summary>
/// One DMA window of a plan: IOVA whose translation is the same before and after the plan but that the ioctl at
/// <see cref="UnmappedAt"/> removed, so a device doing DMA there faults until the ioctl at <see cref="MappedAt"/>
/// maps it again (docs/semantics.md, "collateral").
/// </summary>
/// <param name="Iova">The pages, host-page aligned as the mappings are.</param>
/// <param name="UnmappedAt">Index of the ioctl that removed them.</param>
/// <param name="MappedAt">Index of the first later ioctl that maps them again; null when none does.</param>
public sealed record CollateralWindow(AddressRange Iova, int UnmappedAt, int? MappedAt)
{
    /// <summary>Ioctls the pages stay unmapped for: from the removing one to the one that maps them again (1 when it
    /// follows at once); to the end of the plan when nothing maps them again.</summary>
    /// <param name="ioctls">The plan's number of ioctls.</param>
    /// <returns>The length.</returns>
    public int Length(int ioctls) => (MappedAt ?? ioctls) - UnmappedAt;

    /// <inheritdoc/>
    public override string ToString() => $"{Iova} unmapped at #{UnmappedAt}, " + (MappedAt is { } m ? $"mapped again at #{m}" : "never mapped again");
}
