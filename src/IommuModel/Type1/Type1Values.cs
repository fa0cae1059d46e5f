using System.Collections.Immutable;
using System.Globalization;
using Verify.IommuModel.PageTables;

namespace Verify.IommuModel.Type1;

/// <summary>Flags of <c>VFIO_IOMMU_MAP_DMA</c>.</summary>
[Flags]
public enum Type1MapFlags : uint
{
    /// <summary>No flag: refused (a mapping needs READ or WRITE).</summary>
    None = 0,

    /// <summary><c>VFIO_DMA_MAP_FLAG_READ</c>: the device may read.</summary>
    Read = 1,

    /// <summary><c>VFIO_DMA_MAP_FLAG_WRITE</c>: the device may write.</summary>
    Write = 2,

    /// <summary><c>VFIO_DMA_MAP_FLAG_VADDR</c>: the second half of the live-update pair; alone (no READ, no WRITE) it
    /// gives an invalidated mapping of exactly the same iova and size a new vaddr.</summary>
    Vaddr = 4,
}

/// <summary>Flags of <c>VFIO_IOMMU_UNMAP_DMA</c>.</summary>
[Flags]
public enum Type1UnmapFlags : uint
{
    /// <summary>Unmap <c>[iova, iova + size)</c>.</summary>
    None = 0,

    /// <summary><c>VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP</c>: not modelled, refused with EINVAL.</summary>
    GetDirtyBitmap = 1,

    /// <summary><c>VFIO_DMA_UNMAP_FLAG_ALL</c>: unmap everything; iova and size must be 0.</summary>
    All = 2,

    /// <summary><c>VFIO_DMA_UNMAP_FLAG_VADDR</c>: the first half of the live-update pair: the mappings keep their
    /// translations and pins but their vaddr becomes invalid (may be combined with ALL).</summary>
    Vaddr = 4,
}

/// <summary>One live <c>vfio_dma</c>.</summary>
/// <param name="Iova">First IOVA.</param>
/// <param name="Size">Bytes; never 0; the mapping may end at 2^64.</param>
/// <param name="Vaddr">Host virtual address of <paramref name="Iova"/>.</param>
/// <param name="Flags">READ and/or WRITE.</param>
public readonly record struct Type1Mapping(ulong Iova, ulong Size, ulong Vaddr, Type1MapFlags Flags)
{
    /// <summary>Whether an UNMAP with VADDR invalidated the vaddr (translations and pins stay; external pins are
    /// refused with EBUSY until a MAP with VADDR restores it).</summary>
    public bool VaddrInvalid { get; init; }

    /// <summary>
    /// The host address the pages were pinned through at MAP time. A MAP with VADDR only records the new vaddr
    /// (<c>vfio_dma_do_map</c>: <c>dma-&gt;vaddr = vaddr</c>, nothing re-pinned): the IOMMU keeps the pages it had, so
    /// a new vaddr backed by other memory does not change what is pinned or charged.
    /// </summary>
    public ulong PinnedVaddr { get => _pinnedVaddr ?? Vaddr; init => _pinnedVaddr = value; }

    private readonly ulong? _pinnedVaddr;

    /// <summary>Whether two mappings are the same as userspace sees them (iova, size, vaddr, flags, vaddr validity);
    /// <see cref="PinnedVaddr"/> is the kernel's own record of where the pages came from and is not compared.</summary>
    /// <param name="other">The other mapping.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(Type1Mapping other) =>
        Iova == other.Iova && Size == other.Size && Vaddr == other.Vaddr && Flags == other.Flags && VaddrInvalid == other.VaddrInvalid;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Iova, Size, Vaddr, Flags, VaddrInvalid);

    /// <summary>One past the last IOVA (may be 2^64).</summary>
    public UInt128 End => (UInt128)Iova + Size;

    /// <summary>The IOMMU protection of the mapping.</summary>
    public Protection Protection =>
        ((Flags & Type1MapFlags.Read) != 0 ? Protection.Read : Protection.None) | ((Flags & Type1MapFlags.Write) != 0 ? Protection.Write : Protection.None);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"iova=0x{Iova:x} vaddr=0x{Vaddr:x}{(VaddrInvalid ? " (invalid)" : "")} size={PageTableText.Size(Size)} {PageTableText.Of(Protection)}");
}

/// <summary>What a teardown or setup step did, in the order the container did it (so a property can check
/// that the IOTLB sync comes before the unpin, docs/semantics.md 5.2).</summary>
public enum Type1StepKind
{
    /// <summary>Pages of a mapping were pinned and charged.</summary>
    Pin,

    /// <summary>A mapping went into one domain's page table.</summary>
    DomainMap,

    /// <summary>A mapping was removed from one domain's page table.</summary>
    DomainUnmap,

    /// <summary>One domain's gathered invalidations were synced to its IOTLB.</summary>
    IotlbSync,

    /// <summary>Pages of a mapping were unpinned and uncharged.</summary>
    Unpin,

    /// <summary>UNMAP_DMA met external pins in a mapping and called every registered device's <c>dma_unmap</c>
    /// for it (the IOVA and size are the mapping's; the domain is the retry count on that mapping).</summary>
    DeviceCallback,
}

/// <summary>One step a container took.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Domain">The domain index for domain steps, the retry count on the mapping for a device callback, -1 otherwise.</param>
/// <param name="Iova">First IOVA of the mapping concerned (0 for a sync).</param>
/// <param name="Size">Its size (0 for a sync).</param>
public readonly record struct Type1Step(Type1StepKind Kind, int Domain, ulong Iova, ulong Size)
{
    /// <inheritdoc/>
    public override string ToString() => Kind == Type1StepKind.IotlbSync
        ? $"sync domain{Domain}"
        : Kind == Type1StepKind.DeviceCallback
        ? $"dma_unmap [0x{Iova:x}..0x{(UInt128)Iova + Size:x}) retry {Domain}"
        : $"{Kind}{(Domain >= 0 ? $" domain{Domain}" : "")} [0x{Iova:x}..0x{(UInt128)Iova + Size:x})";
}

/// <summary>
/// Where QEMU's RAM blocks live in the host process: region name -> host virtual base and size, so a
/// listener's <c>DmaMapping.Region</c> + <c>Offset</c> becomes a MAP_DMA <c>vaddr</c>.
/// </summary>
/// <remarks>Immutable; <see cref="With"/> returns a new table. Lookups are O(blocks).</remarks>
public sealed class RamBlocks
{
    private readonly ImmutableDictionary<string, (ulong Hva, ulong Size)> _blocks;

    private RamBlocks(ImmutableDictionary<string, (ulong Hva, ulong Size)> blocks) => _blocks = blocks;

    /// <summary>No RAM blocks.</summary>
    public static RamBlocks Empty { get; } = new(ImmutableDictionary.Create<string, (ulong, ulong)>(StringComparer.Ordinal));

    /// <summary>A table with <paramref name="region"/> at <c>[hva, hva + size)</c> added or replaced.</summary>
    /// <param name="region">Region name as listeners report it.</param>
    /// <param name="hva">Host virtual base.</param>
    /// <param name="size">Bytes; non-zero and not wrapping.</param>
    /// <returns>The new table.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An empty or wrapping block.</exception>
    public RamBlocks With(string region, ulong hva, ulong size)
    {
        ArgumentNullException.ThrowIfNull(region);
        Preconditions.CheckArgumentRange(size > 0 && (UInt128)hva + size <= (UInt128)1 << 64, size,
            $"should be non-zero and keep 0x{hva:x} below 2^64", nameof(size));
        return new(_blocks.SetItem(region, (hva, size)));
    }

    /// <summary>The host virtual address of <paramref name="offset"/> in <paramref name="region"/>.</summary>
    /// <param name="region">Region name.</param>
    /// <param name="offset">Offset in the region.</param>
    /// <param name="hva">The address, when found.</param>
    /// <returns>Whether the region is known and the offset inside it.</returns>
    public bool TryResolve(string region, ulong offset, out ulong hva)
    {
        hva = 0;
        if (region is null || !_blocks.TryGetValue(region, out var block) || offset >= block.Size)
        {
            return false;
        }

        hva = block.Hva + offset;
        return true;
    }

    /// <summary>The region and offset holding <paramref name="hva"/>, or <see langword="null"/>.</summary>
    /// <param name="hva">A host virtual address.</param>
    /// <returns>The region and offset.</returns>
    public (string Region, ulong Offset)? Find(ulong hva)
    {
        foreach (var (name, block) in _blocks)
        {
            if (hva >= block.Hva && hva - block.Hva < block.Size)
            {
                return (name, hva - block.Hva);
            }
        }

        return null;
    }
}
