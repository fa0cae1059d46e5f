using System.Globalization;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>Registers an mdev with a type1 container, with what its <c>dma_unmap</c> callback does
/// (SEMANTICS.md 5.4): <c>none</c>, <c>unpins-all</c>, <c>unpins-nothing</c> or <c>unpins-one-page</c>.</summary>
/// <param name="Container">The container.</param>
/// <param name="Name">The device's name.</param>
/// <param name="Callback">Its callback.</param>
public sealed record DeviceStep(string Container, string Name, Type1DeviceCallback Callback) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "device";

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: DEVICE {Name} dma_unmap={ScenarioReader.NameOf(ScenarioReader.Callbacks, Callback)}";
}

/// <summary><c>vfio_pin_pages</c>: a device pins <see cref="Npage"/> pages of the container's page size from
/// <see cref="Iova"/>.</summary>
/// <param name="Container">The container.</param>
/// <param name="Device">The pinning device.</param>
/// <param name="Iova">The first page's IOVA.</param>
/// <param name="Npage">Pages (0 and more than 512 are legal requests the kernel refuses).</param>
/// <param name="Prot">The rights the device needs.</param>
public sealed record PinStep(string Container, string Device, ulong Iova, int Npage, Protection Prot) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "pin";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Container}: PIN {Device} iova=0x{Iova:x} npage={Npage} {ScenarioReader.NameOf(ScenarioReader.Protections, Prot)}");
}

/// <summary><c>vfio_unpin_pages</c>: a device drops one reference per page from <see cref="Iova"/>.</summary>
/// <param name="Container">The container.</param>
/// <param name="Device">The unpinning device.</param>
/// <param name="Iova">The first page's IOVA.</param>
/// <param name="Npage">Pages.</param>
public sealed record UnpinStep(string Container, string Device, ulong Iova, int Npage) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "unpin";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Container}: UNPIN {Device} iova=0x{Iova:x} npage={Npage}");
}

/// <summary><c>VFIO_IOMMU_MAP_DMA</c> exactly as the kernel receives it: raw flags (possibly invalid) and a host
/// virtual address, for processes whose memory the scenario declares (<see cref="ProcessStep.Memory"/>). With
/// <see cref="Type1MapFlags.Vaddr"/> alone it is the second half of the VADDR pair.</summary>
/// <param name="Container">The container.</param>
/// <param name="Flags">The MAP flags.</param>
/// <param name="Iova">First IOVA.</param>
/// <param name="Vaddr">Host virtual address.</param>
/// <param name="Size">Bytes (0 is a legal request the kernel refuses).</param>
public sealed record MapDmaStep(string Container, Type1MapFlags Flags, ulong Iova, ulong Vaddr, ulong Size) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "map-dma";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Container}: MAP_DMA iova=0x{Iova:x} vaddr=0x{Vaddr:x} size={PageTableText.Size(Size)} {ScenarioReader.MapFlagsName(Flags)}");
}

/// <summary><c>VFIO_IOMMU_UNMAP_DMA</c> exactly as the kernel receives it: raw flags (<c>all</c>, <c>vaddr</c> - the
/// first half of the VADDR pair -, both, or invalid ones).</summary>
/// <param name="Container">The container.</param>
/// <param name="Flags">The UNMAP flags.</param>
/// <param name="Iova">First IOVA (0 with ALL).</param>
/// <param name="Size">Bytes (0 with ALL).</param>
public sealed record UnmapDmaStep(string Container, Type1UnmapFlags Flags, ulong Iova, ulong Size) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "unmap-dma";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Container}: UNMAP_DMA iova=0x{Iova:x} size={PageTableText.Size(Size)} flags={ScenarioReader.UnmapFlagsName(Flags)}");
}

/// <summary>The host migrates <see cref="Size"/> bytes of a process's memory from <see cref="Hva"/> to fresh physical
/// memory at <see cref="To"/> (<see cref="IommuModel.Host.HostMemory.Migrate"/>): refused for a hole, reserved memory
/// and pinned pages (SEMANTICS.md 5.3).</summary>
/// <param name="Process">The process.</param>
/// <param name="Hva">The first page's virtual address.</param>
/// <param name="Size">Bytes.</param>
/// <param name="To">The new host physical address.</param>
public sealed record MigrateStep(string Process, ulong Hva, ulong Size, ulong To) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "migrate";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Process}: MIGRATE hva=0x{Hva:x} size={PageTableText.Size(Size)} to hpa=0x{To:x}");
}

/// <summary>A device behind a type1 container reads <see cref="Iova"/> through the container's first domain, so its
/// IOTLB holds the translation an unmap must invalidate before the page is unpinned (SEMANTICS.md 5.2). Nothing
/// happens without a domain.</summary>
/// <param name="Container">The container.</param>
/// <param name="Iova">The address read.</param>
public sealed record DmaAccessStep(string Container, ulong Iova) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "dma-access";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Container}: DMA iova=0x{Iova:x}");
}
