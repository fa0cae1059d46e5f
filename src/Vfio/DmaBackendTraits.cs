namespace Verify.Vfio;

/// <summary>What a container backend allows, as a listener must know it when planning.</summary>
public sealed record DmaBackendTraits
{
    /// <summary>type1's default <c>dma_entry_limit</c>.</summary>
    public const int DefaultEntryLimit = 65535;

    /// <summary>VFIO type1 v2: no overlapping MAP, no bisecting UNMAP, unmap-all available.</summary>
    public static DmaBackendTraits Type1 { get; } = new();

    /// <summary>A backend that can cut a mapping in place (iommufd's area cut through the compat v1 path,
    /// or the atomic replace the seed thread discusses): an UNMAP may bisect a mapping and leaves the rest
    /// mapped without a window.</summary>
    public static DmaBackendTraits SplitCapable { get; } = new() { UnmapMayBisect = true };

    /// <summary>Whether an UNMAP may cut a mapping, leaving its outside parts mapped.</summary>
    public bool UnmapMayBisect { get; init; }

    /// <summary>Whether UNMAP with FLAG_ALL exists (else a 2^64 range is removed with two 2^63 unmaps).</summary>
    public bool SupportsUnmapAll { get; init; } = true;

    /// <summary>Most live mappings the container accepts.</summary>
    public int EntryLimit { get; init; } = DefaultEntryLimit;
}
