namespace Verify.Vfio;

/// <summary>How a coalescing listener plans: the mapping granularity and what the container backend allows.</summary>
public sealed record PlanOptions
{
    private readonly ulong _granule = 0x20_0000;

    /// <summary>One mapping per simplified range, on a type1 v2 container.</summary>
    public static PlanOptions Default { get; } = new();

    /// <summary>Where new mappings are cut.</summary>
    public MappingGranularity Granularity { get; init; } = MappingGranularity.PerRange;

    /// <summary>The cut size for <see cref="MappingGranularity.FixedGranule"/>: a power of two of at least 4 KiB
    /// (2 MiB by default); ignored by the other granularities.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a power of two, or below 4 KiB.</exception>
    public ulong Granule
    {
        get => _granule;
        init
        {
            Preconditions.CheckArgumentRange(ulong.IsPow2(value) && value >= 0x1000, value, "should be a power of two of at least 4 KiB", nameof(Granule));
            _granule = value;
        }
    }

    /// <summary>What the container allows (bisecting UNMAP, unmap-all, entry limit).</summary>
    public DmaBackendTraits Backend { get; init; } = DmaBackendTraits.Type1;
}
