using System.Collections.Immutable;

namespace Verify.Vfio;

/// <summary>The options of the vfio listener's section rules (docs/semantics.md 2.4 and 8).</summary>
public sealed record DmaOptions
{
    private readonly ulong _hostPageSize = 0x1000;
    private readonly ulong _iommuMinPageSize = 0x1000;

    /// <summary>QEMU's defaults: 4 KiB host pages, 4 KiB smallest IOMMU page, unmap-all available.</summary>
    public static DmaOptions Default { get; } = new();

    /// <summary>Host page size P: only the P-aligned interior of a section is mapped (4 KiB or 64 KiB).</summary>
    public ulong HostPageSize
    {
        get => _hostPageSize;
        init
        {
            Preconditions.CheckArgumentRange(ulong.IsPow2(value) && value >= 0x1000, value, "should be a power of two of at least 4 KiB", nameof(HostPageSize));
            _hostPageSize = value;
        }
    }

    /// <summary>The smallest page size of the container's IOMMU; a ram-device section not aligned to it is skipped.</summary>
    public ulong IommuMinPageSize
    {
        get => _iommuMinPageSize;
        init
        {
            Preconditions.CheckArgumentRange(ulong.IsPow2(value) && value >= 0x1000, value, "should be a power of two of at least 4 KiB", nameof(IommuMinPageSize));
            _iommuMinPageSize = value;
        }
    }

    /// <summary>Regions of a confidential guest that vfio must not map (<c>memory_region_is_protected</c>).</summary>
    public ImmutableHashSet<string> ProtectedRegions { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Whether two option sets apply the same rules (the protected regions compared as a set).</summary>
    /// <param name="other">The other options.</param>
    /// <returns>True when equal by value.</returns>
    public bool Equals(DmaOptions? other) =>
        ReferenceEquals(this, other)
        || (other is not null && HostPageSize == other.HostPageSize && IommuMinPageSize == other.IommuMinPageSize
            && ProtectedRegions.SetEquals(other.ProtectedRegions) && other.ProtectedRegions.SetEquals(ProtectedRegions));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(HostPageSize, IommuMinPageSize, ProtectedRegions.Count);
}
