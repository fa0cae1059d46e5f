namespace Verify.Qemu.Trace;

/// <summary>
/// One line of a QEMU trace log that <see cref="QemuTraceText"/> understands: a vfio listener or iommufd backend trace
/// event (QEMU's <c>hw/vfio/trace-events</c>, <c>backends/trace-events</c>) or an <c>error_report</c> line of a failed
/// DMA map or unmap. Ends are printed inclusive by QEMU and kept so (<c>Last</c>); sizes are bytes.
/// </summary>
/// <param name="Name">The event's name as printed (older and newer QEMU name some events differently), or the function an
/// error line names.</param>
public abstract record QemuTraceEvent(string Name)
{
    /// <summary>The 1-based line the event was read from (0 for an event that was not read).</summary>
    public int Line { get; init; }

    /// <summary>The <c>PID@SECONDS.MICROSECONDS:</c> prefix QEMU printed, if any.</summary>
    public QemuTraceStamp? Stamp { get; init; }

    /// <summary><c>vfio_listener_region_add_ram</c>: a RAM section's aligned interior <c>[Iova, Last]</c> at host address
    /// <c>Vaddr</c>; QEMU maps it right after the trace unless a ram-device or RamDiscardManager rule stops it.</summary>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Last">Last IOVA (inclusive).</param>
    /// <param name="Vaddr">Host virtual address of <paramref name="Iova"/>.</param>
    public sealed record RegionAddRam(ulong Iova, ulong Last, ulong Vaddr) : QemuTraceEvent("vfio_listener_region_add_ram");

    /// <summary><c>vfio_listener_region_add_iommu</c>: an IOMMU section; a notifier is registered instead of a map.</summary>
    /// <param name="Region">The IOMMU memory region's name; empty from QEMU versions that do not print it.</param>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Last">Last IOVA (inclusive).</param>
    public sealed record RegionAddIommu(string Region, ulong Iova, ulong Last) : QemuTraceEvent("vfio_listener_region_add_iommu");

    /// <summary><c>vfio_listener_region_add_no_dma_map</c>: a ram-device section not aligned to the IOMMU page, not mapped.</summary>
    /// <param name="Region">The region's name.</param>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Size">Bytes.</param>
    /// <param name="PageSize">The IOMMU page it is not aligned to.</param>
    public sealed record RegionAddNoDmaMap(string Region, ulong Iova, ulong Size, ulong PageSize) : QemuTraceEvent("vfio_listener_region_add_no_dma_map");

    /// <summary><c>vfio_listener_region_del</c>: a section's interior <c>[Iova, Last]</c> goes; QEMU unmaps it next.</summary>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Last">Last IOVA (inclusive).</param>
    public sealed record RegionDel(ulong Iova, ulong Last) : QemuTraceEvent("vfio_listener_region_del");

    /// <summary><c>vfio_listener_region_del_iommu</c>: an IOMMU section's notifier is removed (its one big unmap follows
    /// as a <see cref="RegionDel"/>).</summary>
    /// <param name="Region">The IOMMU memory region's name.</param>
    public sealed record RegionDelIommu(string Region) : QemuTraceEvent("vfio_listener_region_del_iommu");

    /// <summary>A skipped section: <c>vfio_listener_region_skip</c> (which callback in <paramref name="Callback"/>), or
    /// older QEMU's <c>vfio_listener_region_add_skip</c> / <c>vfio_listener_region_del_skip</c>.</summary>
    /// <param name="Name">The event's name.</param>
    /// <param name="Callback">The callback as printed (<c>region_add</c> or <c>region_del</c>).</param>
    /// <param name="Start">First address.</param>
    /// <param name="Last">Last address (inclusive).</param>
    public sealed record RegionSkip(string Name, string Callback, ulong Start, ulong Last) : QemuTraceEvent(Name);

    /// <summary><c>vfio_dma_unmap_overflow_workaround</c> (later <c>vfio_legacy_dma_unmap_overflow_workaround</c>): the
    /// kernel refused an unmap ending at 2^64 and QEMU retries without its last page.</summary>
    /// <param name="Name">The event's name.</param>
    public sealed record UnmapOverflowWorkaround(string Name) : QemuTraceEvent(Name);

    /// <summary>The <c>error_report</c> of a failed MAP: <c>vfio_dma_map(CONTAINER, IOVA, SIZE, VADDR) = -ERRNO (REASON)</c>
    /// (<c>vfio_container_dma_map</c> in newer QEMU).</summary>
    /// <param name="Name">The function printed.</param>
    /// <param name="Container">The container pointer as printed.</param>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Size">Bytes.</param>
    /// <param name="Vaddr">Host address.</param>
    /// <param name="Return">The return value, a negative errno.</param>
    /// <param name="Reason">strerror's text.</param>
    public sealed record MapFailed(string Name, string Container, ulong Iova, ulong Size, ulong Vaddr, int Return, string Reason) : QemuTraceEvent(Name);

    /// <summary>The <c>error_report</c> of a failed UNMAP: <c>vfio_dma_unmap(CONTAINER, IOVA, SIZE) = -ERRNO (REASON)</c>
    /// (<c>vfio_container_dma_unmap</c> in newer QEMU).</summary>
    /// <param name="Name">The function printed.</param>
    /// <param name="Container">The container pointer as printed.</param>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Size">Bytes.</param>
    /// <param name="Return">The return value, a negative errno.</param>
    /// <param name="Reason">strerror's text.</param>
    public sealed record UnmapFailed(string Name, string Container, ulong Iova, ulong Size, int Return, string Reason) : QemuTraceEvent(Name);

    /// <summary><c>iommufd_backend_map_dma</c> (host address) or <c>iommufd_backend_map_file_dma</c> (file and offset):
    /// IOMMU_IOAS_MAP and its return value.</summary>
    /// <param name="Name">The event's name.</param>
    /// <param name="Iommufd">The iommufd file descriptor.</param>
    /// <param name="Ioas">The IOAS id.</param>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Size">Bytes.</param>
    /// <param name="Vaddr">Host address (map_dma), else null.</param>
    /// <param name="File">File descriptor (map_file_dma), else null.</param>
    /// <param name="FileStart">Offset in the file (map_file_dma), else null.</param>
    /// <param name="ReadOnly">Mapped read-only.</param>
    /// <param name="Return">0 or a negative errno.</param>
    public sealed record IommufdMap(string Name, int Iommufd, uint Ioas, ulong Iova, ulong Size, ulong? Vaddr, int? File, ulong? FileStart, bool ReadOnly, int Return)
        : QemuTraceEvent(Name);

    /// <summary><c>iommufd_backend_unmap_dma</c>, or <c>iommufd_backend_unmap_dma_non_exist</c> (the kernel said ENOENT and
    /// QEMU treats it as success): IOMMU_IOAS_UNMAP and its return value.</summary>
    /// <param name="Name">The event's name.</param>
    /// <param name="Iommufd">The iommufd file descriptor.</param>
    /// <param name="Ioas">The IOAS id.</param>
    /// <param name="Iova">First IOVA.</param>
    /// <param name="Size">Bytes (0 with IOVA 0 unmaps everything).</param>
    /// <param name="Return">0 or a negative errno.</param>
    public sealed record IommufdUnmap(string Name, int Iommufd, uint Ioas, ulong Iova, ulong Size, int Return) : QemuTraceEvent(Name);
}
