using Verify.Harness.Implementations;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Harness.Hosts;

/// <summary>
/// A user's <see cref="IIommuDomain"/> behind the IOMMU core the harness plays (drivers/iommu/iommu.c): <c>iommu_map</c>
/// and <c>iommu_unmap</c> loop over the driver with <c>iommu_pgsize</c>'s choice (docs/semantics.md 4.2-4.4), a failed
/// map is unrolled, the gather is the union of what the driver added until a sync, and the IOTLB is the harness's: a
/// device access caches the smallest page it read, a sync drops the cached pages inside the synced gather (4.5).
/// </summary>
public sealed class UserDomain
{
    private readonly IIommuDomain _domain;
    private readonly PageTableFormat _format;
    private readonly SortedDictionary<ulong, Translation> _iotlb = [];
    private readonly List<AddressRange> _mapped = [];

    internal UserDomain(IIommuDomain domain, PageTableFormat format)
    {
        _domain = domain;
        _format = format;
    }

    /// <summary>The union of the ranges the driver gathered since the last sync, or null.</summary>
    public AddressRange? Gathered { get; private set; }

    /// <summary>The pages the device has cached (page IOVA and the translation of its first byte), by IOVA.</summary>
    public IReadOnlyDictionary<ulong, Translation> CachedPages => _iotlb;

    /// <summary>Every range a map of this table succeeded on, oldest first: where the driver's table can differ from
    /// the oracle's without either having a leaf there now.</summary>
    public IReadOnlyList<AddressRange> EverMapped => _mapped;

    /// <summary><c>iommu_map</c>.</summary>
    /// <param name="iova">First IOVA.</param>
    /// <param name="pa">First physical address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="protection">Rights.</param>
    /// <returns>What the core reports: the first error (after unrolling what the call had mapped) or success.</returns>
    public MapResult Map(ulong iova, ulong pa, ulong size, Protection protection)
    {
        // The core's and io-pgtable's up-front refusals, in the model's words (4.3): the driver never sees these.
        if ((protection & Protection.ReadWrite) == 0 || size == 0 || ((iova | pa | size) & (_format.Granule - 1)) != 0)
        {
            return new MapResult(Errno.EINVAL, 0);
        }

        if ((UInt128)iova + size > _format.AddressLimit || (UInt128)pa + size > (UInt128)1 << _format.PhysicalAddressBits)
        {
            return new MapResult(Errno.ERANGE, 0);
        }

        ulong done = 0;
        while (done < size)
        {
            var (pageSize, count) = PageSizeChoice.Next(_format.PageSizeBitmap, iova + done, pa + done, size - done);
            var answer = _domain.MapPages(iova + done, pa + done, pageSize, count, protection);
            if (answer.Mapped > pageSize * count || answer.Mapped % _format.Granule != 0)
            {
                throw new StepException($"map_pages(iova=0x{iova + done:x}, {count} x {PageTableText.Size(pageSize)}) answered mapped=0x{answer.Mapped:x}: not a whole number of pages of what was asked");
            }

            done += answer.Mapped;
            if (answer.Flushed is { } flushed)
            {
                Invalidate(flushed);
            }

            if (answer.Error != Errno.None)
            {
                // __iommu_map unrolls with iommu_unmap, which syncs its own gather.
                if (done > 0)
                {
                    UnmapLoop(iova, done, out var gathered);
                    if (gathered is { } g)
                    {
                        SyncRange(g);
                    }
                }

                return new MapResult(answer.Error, 0);
            }

            if (answer.Mapped == 0)
            {
                throw new StepException($"map_pages(iova=0x{iova + done:x}, {count} x {PageTableText.Size(pageSize)}) answered success with nothing mapped");
            }
        }

        _mapped.Add(new AddressRange(iova, size));
        return new MapResult(Errno.None, size);
    }

    /// <summary><c>iommu_unmap</c> without the sync: the driver's gathered ranges wait in <see cref="Gathered"/>.</summary>
    /// <param name="iova">First IOVA.</param>
    /// <param name="size">Bytes asked.</param>
    /// <returns>Bytes removed.</returns>
    public ulong Unmap(ulong iova, ulong size)
    {
        if (size == 0 || ((iova | size) & (_format.Granule - 1)) != 0 || (UInt128)iova + size > _format.AddressLimit)
        {
            return 0;
        }

        ulong removed = UnmapLoop(iova, size, out var gathered);
        if (gathered is { } g)
        {
            Gathered = Gathered is { } pending ? Union(pending, g) : g;
        }

        return removed;
    }

    /// <summary><c>iommu_iotlb_sync</c>: hands the gather to the driver and drops the cached pages inside it.</summary>
    public void Sync()
    {
        if (Gathered is { } g)
        {
            Gathered = null;
            SyncRange(g);
        }
    }

    /// <summary><c>iova_to_phys</c>.</summary>
    /// <param name="iova">Any address.</param>
    /// <returns>The driver's walk, or null for a hole or an address past the width.</returns>
    public Translation? Walk(ulong iova) => iova >= _format.AddressLimit ? null : _domain.IovaToPhys(iova);

    /// <summary>A device read through the harness's IOTLB: a hit serves the cached page (plus the offset in it), a miss
    /// walks the driver's table and caches the page; a hole faults and caches nothing.</summary>
    /// <param name="iova">The address.</param>
    /// <returns>The translation, or null for a fault.</returns>
    public Translation? Access(ulong iova)
    {
        ulong granule = _format.Granule;
        ulong page = iova & ~(granule - 1);
        if (_iotlb.TryGetValue(page, out var cached))
        {
            return cached with { Pa = cached.Pa + (iova - page) };
        }

        if (Walk(page) is not { } walked)
        {
            return null;
        }

        _iotlb[page] = walked;
        return walked with { Pa = walked.Pa + (iova - page) };
    }

    private ulong UnmapLoop(ulong iova, ulong size, out AddressRange? gathered)
    {
        gathered = null;
        ulong done = 0;
        while (done < size && (UInt128)iova + done < _format.AddressLimit)
        {
            ulong at = iova + done;
            var (pageSize, count) = PageSizeChoice.Next(_format.PageSizeBitmap, at, at, size - done);
            var answer = _domain.UnmapPages(at, pageSize, count);
            if (answer.Gathered is { } g)
            {
                gathered = gathered is { } before ? Union(before, g) : g;
            }

            if (answer.Unmapped == 0)
            {
                break;
            }

            // A whole larger leaf may reach past the request, even past the top of the width from a request that
            // started inside it: the core only moves on by what was reported (and stops once the request is covered).
            if (answer.Unmapped % _format.Granule != 0)
            {
                throw new StepException($"unmap_pages(iova=0x{at:x}, {count} x {PageTableText.Size(pageSize)}) answered unmapped=0x{answer.Unmapped:x}: not a whole number of pages");
            }

            done += answer.Unmapped;
        }

        return done;
    }

    private void SyncRange(AddressRange gathered)
    {
        _domain.IotlbSync(gathered);
        Invalidate(gathered);
    }

    private void Invalidate(AddressRange range)
    {
        var dropped = _iotlb.Keys.Where(page => range.Contains(page)).ToList();
        foreach (ulong page in dropped)
        {
            _iotlb.Remove(page);
        }
    }

    // iommu_iotlb_gather_add_range keeps one range: the hull of everything added (a disjoint piece would have forced
    // a sync first; the hull invalidates a superset, which is never stale).
    private static AddressRange Union(AddressRange a, AddressRange b) => AddressRange.FromBounds(Math.Min(a.Start, b.Start), UInt128.Max(a.End, b.End));
}
