using System.Collections.Immutable;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap.Dma;

namespace Verify.IommuModel.Type1;

/// <summary>
/// One VFIO type1 container (<c>struct vfio_iommu</c>): live mappings, their pins and charges in a
/// <see cref="HostMemory"/>, and one <see cref="IoPageTable"/> per IOMMU domain. MAP_DMA and UNMAP_DMA run
/// the kernel's checks in the kernel's order (SEMANTICS.md 5.1, 5.2); errors are values.
/// </summary>
/// <remarks>
/// <para>Every mapping goes into every domain. Teardown is: unmap from each domain, sync that domain's
/// IOTLB, and only then unpin, so a page is never unpinned while a PTE or IOTLB entry can reach it; the
/// order is recorded in <see cref="Steps"/>.</para>
/// <para>As an <see cref="IDmaBackend"/> a listener's <see cref="DmaMapping"/> becomes MAP_DMA with READ
/// (+WRITE) at the vaddr the <see cref="RamBlocks"/> give its region and offset.</para>
/// <para>Not modelled yet: mdev external pins, the VADDR pair (refused with EINVAL, as on kernels before
/// 5.12), migration of unpinned pages. Mappings are a sorted list: a call costs O(log n + k) plus the
/// page-table work. Not thread-safe.</para>
/// </remarks>
public sealed class Type1Container : IDmaBackend
{
    private readonly List<Entry> _entries = [];

    // Parallel to _entries, so the two views listeners and properties read on every plan cost no allocation.
    private readonly List<Type1Mapping> _mappings = [];
    private readonly List<DmaMapping> _views = [];
    private readonly List<Type1Step> _steps = [];
    private readonly IoPageTable[] _domains;
    private readonly RamBlocks _ramBlocks;
    private bool _closed;

    /// <summary>Creates an empty container.</summary>
    /// <param name="name">Name for reports.</param>
    /// <param name="options">The type1 variant.</param>
    /// <param name="host">The process whose memory is pinned and charged (shared by the process's containers).</param>
    /// <param name="ramBlocks">Where listener regions live in <paramref name="host"/>.</param>
    /// <param name="domains">One page-table configuration per IOMMU domain (none: an mdev-only container,
    /// which pins nothing at MAP time). Each must flush strictly and have a granule dividing
    /// <see cref="Type1Options.MinPageSize"/>.</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A lazy domain, an incompatible granule, a page size that is
    /// not a power of two, or an entry limit below 1.</exception>
    public Type1Container(string name, Type1Options options, HostMemory host, RamBlocks ramBlocks, IEnumerable<PageTableOptions> domains)
    {
        Name = Preconditions.CheckNotNull(name, nameof(name));
        Options = Preconditions.CheckNotNull(options, nameof(options));
        Host = Preconditions.CheckNotNull(host, nameof(host));
        _ramBlocks = Preconditions.CheckNotNull(ramBlocks, nameof(ramBlocks));
        ArgumentNullException.ThrowIfNull(domains);
        Preconditions.CheckArgumentRange(options.MinPageSize != 0 && (options.MinPageSize & (options.MinPageSize - 1)) == 0,
            options.MinPageSize, "MinPageSize should be a power of two", nameof(options));
        Preconditions.CheckArgumentRange(options.DmaEntryLimit >= 1, options.DmaEntryLimit, "DmaEntryLimit should be at least 1", nameof(options));
        _domains = [.. domains.Select(d => new IoPageTable(d))];
        foreach (var domain in _domains)
        {
            // type1 domains are unmanaged, which the kernel never puts in lazy mode: the sync must be real.
            Preconditions.CheckArgumentRange(domain.Options.Flush == FlushMode.Strict, domain.Options.Flush,
                "type1 domains flush strictly", nameof(domains));
            Preconditions.CheckArgumentRange(options.MinPageSize % domain.Options.Format.Granule == 0, domain.Options.Format.Granule,
                $"should divide MinPageSize 0x{options.MinPageSize:x}", nameof(domains));
        }

        Traits = DmaBackendTraits.Type1 with { EntryLimit = options.DmaEntryLimit };
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The variant.</summary>
    public Type1Options Options { get; }

    /// <summary>The process the pins and charges go to.</summary>
    public HostMemory Host { get; }

    /// <inheritdoc/>
    public DmaBackendTraits Traits { get; }

    /// <summary>The IOMMU domains, in attach order.</summary>
    public IReadOnlyList<IoPageTable> Domains => _domains;

    /// <summary>The live mappings, ascending by IOVA.</summary>
    /// <remarks>The live list: copy it to keep a snapshot.</remarks>
    public IReadOnlyList<Type1Mapping> Type1Mappings => _mappings;

    /// <summary>The live mappings as a listener sees them (region and offset from the <see cref="RamBlocks"/>;
    /// a vaddr outside every block shows as region <c>hva</c> at offset vaddr).</summary>
    /// <remarks>The live list: copy it to keep a snapshot.</remarks>
    public IReadOnlyList<DmaMapping> Mappings => _views;

    /// <summary>Every pin, domain map, domain unmap, sync and unpin, oldest first.</summary>
    public IReadOnlyList<Type1Step> Steps => _steps;

    /// <summary>Whether <see cref="Close"/> has run.</summary>
    public bool IsClosed => _closed;

    /// <summary><c>VFIO_IOMMU_MAP_DMA</c>.</summary>
    /// <param name="flags">READ, WRITE (VADDR is refused).</param>
    /// <param name="iova">First IOVA.</param>
    /// <param name="vaddr">Host virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <returns>Success with <paramref name="size"/>, or the first failing check's errno; a failure changes nothing.</returns>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    public DmaResult MapDma(Type1MapFlags flags, ulong iova, ulong vaddr, ulong size)
    {
        Preconditions.CheckState(!_closed, $"container {Name} is closed");

        // 1. Flags. VADDR is a later session's; an old kernel refuses it the same way.
        if ((flags & ~(Type1MapFlags.Read | Type1MapFlags.Write)) != 0 || (flags & (Type1MapFlags.Read | Type1MapFlags.Write)) == 0)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        // 2. Size and alignment to the smallest IOMMU page.
        ulong mask = Options.MinPageSize - 1;
        if (size == 0 || ((iova | vaddr | size) & mask) != 0)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        // 3. The last byte must not wrap past 2^64 (a mapping may end exactly at 2^64).
        if (iova + (size - 1) < iova || vaddr + (size - 1) < vaddr)
        {
            return DmaResult.Fail(Options.WrapErrno);
        }

        // 4. Overlap, before the slot count, in the kernel's order.
        var mapping = new Type1Mapping(iova, size, vaddr, flags);
        int at = FirstEndingAfter(iova);
        if (at < _entries.Count && _entries[at].Mapping.Iova < mapping.End)
        {
            return DmaResult.Fail(Errno.EEXIST);
        }

        // 5. Slots.
        if (_entries.Count >= Options.DmaEntryLimit)
        {
            return DmaResult.Fail(Errno.ENOSPC);
        }

        // 6. One valid IOVA range must hold the whole mapping.
        if (!Options.ValidIovaRanges.Any(r => r.Start <= iova && mapping.End <= r.End))
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        // 7. Pin and charge; with no domain (mdev only) nothing is pinned at MAP time.
        var pinned = ImmutableArray<HostSegment>.Empty;
        if (_domains.Length > 0)
        {
            var error = Host.Pin(vaddr, size, Options.Accounting, out pinned);
            if (error != Errno.None)
            {
                return DmaResult.Fail(error);
            }

            _steps.Add(new Type1Step(Type1StepKind.Pin, -1, iova, size));
        }

        // 8. Every domain; a domain's refusal unwinds the domains already mapped, then the pins.
        for (int d = 0; d < _domains.Length; d++)
        {
            var error = MapIntoDomain(_domains[d], mapping, pinned);
            if (error != Errno.None)
            {
                for (int undo = d - 1; undo >= 0; undo--)
                {
                    UnmapFromDomain(undo, mapping);
                }

                Host.Unpin(pinned, Options.Accounting);
                _steps.Add(new Type1Step(Type1StepKind.Unpin, -1, iova, size));
                return DmaResult.Fail(error);
            }

            _steps.Add(new Type1Step(Type1StepKind.DomainMap, d, iova, size));
        }

        _entries.Insert(at, new Entry(mapping, pinned));
        _mappings.Insert(at, mapping);
        _views.Insert(at, ToDmaMapping(mapping));
        return DmaResult.Ok(size);
    }

    /// <summary><c>VFIO_IOMMU_UNMAP_DMA</c>.</summary>
    /// <param name="flags">None or ALL (dirty bitmap and VADDR are refused).</param>
    /// <param name="iova">First IOVA (0 with ALL).</param>
    /// <param name="size">Bytes (0 with ALL).</param>
    /// <returns>Success with the sum of the removed mappings' full sizes (0 for an empty range), or EINVAL;
    /// under v2 a refused call changed nothing.</returns>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    public DmaResult UnmapDma(Type1UnmapFlags flags, ulong iova, ulong size)
    {
        Preconditions.CheckState(!_closed, $"container {Name} is closed");
        return UnmapCore(flags, iova, size);
    }

    /// <summary>Releases the container as closing the fd does: every mapping is unmapped from every domain,
    /// synced, unpinned and uncharged. Later calls throw.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        UnmapCore(Type1UnmapFlags.All, 0, 0);
        _closed = true;
    }

    /// <inheritdoc/>
    public DmaResult Map(in DmaMapping mapping)
    {
        if (!_ramBlocks.TryResolve(mapping.Region, mapping.Offset, out ulong vaddr))
        {
            // No host address for the region: the kernel would fault on the vaddr.
            return DmaResult.Fail(Errno.EFAULT);
        }

        if (mapping.Iova.Size > ulong.MaxValue)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        var flags = Type1MapFlags.Read | (mapping.Writable ? Type1MapFlags.Write : Type1MapFlags.None);
        return MapDma(flags, mapping.Iova.Start, vaddr, (ulong)mapping.Iova.Size);
    }

    /// <inheritdoc/>
    /// <remarks>A 2^64 range does not fit the ioctl's 64-bit size: it arrives as size 0 and is refused
    /// (the QEMU abort "vfio: Don't issue full 2^64 unmap" fixed); use <see cref="UnmapAll"/>.</remarks>
    public DmaResult Unmap(AddressRange iova) => UnmapDma(Type1UnmapFlags.None, iova.Start, (ulong)iova.Size);

    /// <inheritdoc/>
    public DmaResult UnmapAll() => UnmapDma(Type1UnmapFlags.All, 0, 0);

    private DmaResult UnmapCore(Type1UnmapFlags flags, ulong iova, ulong size)
    {
        ulong mask = Options.MinPageSize - 1;
        if ((flags & ~Type1UnmapFlags.All) != 0 || (iova & mask) != 0)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        bool all = (flags & Type1UnmapFlags.All) != 0;
        UInt128 end;
        if (all)
        {
            if (iova != 0 || size != 0)
            {
                return DmaResult.Fail(Errno.EINVAL);
            }

            end = (UInt128)1 << 64;
        }
        else
        {
            if (size == 0 || (size & mask) != 0 || iova + (size - 1) < iova)
            {
                return DmaResult.Fail(Errno.EINVAL);
            }

            end = (UInt128)iova + size;
        }

        int first = FirstEndingAfter(iova);
        int stop = first;
        while (stop < _entries.Count && _entries[stop].Mapping.Iova < end)
        {
            stop++;
        }

        if (first == stop)
        {
            return DmaResult.Ok(0);
        }

        if (Options.Version == Type1Version.V2 && !all && Options.Bug != Type1Bug.BisectUnderV2)
        {
            // Both ends are checked before anything is removed: a bisecting v2 unmap changes nothing.
            if (_entries[first].Mapping.Iova < iova || _entries[stop - 1].Mapping.End > end)
            {
                return DmaResult.Fail(Errno.EINVAL);
            }
        }
        else if (_entries[first].Mapping.Iova < iova)
        {
            // v1 stops at a first mapping that starts before the request: nothing is removed.
            return DmaResult.Ok(0);
        }

        UInt128 total = 0;
        for (int k = first; k < stop; k++)
        {
            total += _entries[k].Mapping.Size;
            Teardown(_entries[k]);
        }

        _entries.RemoveRange(first, stop - first);
        _mappings.RemoveRange(first, stop - first);
        _views.RemoveRange(first, stop - first);
        return DmaResult.Ok(total);
    }

    private void Teardown(Entry entry)
    {
        if (Options.Bug == Type1Bug.UnpinBeforeSync && _domains.Length > 0)
        {
            Host.Unpin(entry.Pinned, Options.Accounting);
            _steps.Add(new Type1Step(Type1StepKind.Unpin, -1, entry.Mapping.Iova, entry.Mapping.Size));
            for (int d = 0; d < _domains.Length; d++)
            {
                UnmapFromDomain(d, entry.Mapping);
            }

            return;
        }

        for (int d = 0; d < _domains.Length; d++)
        {
            UnmapFromDomain(d, entry.Mapping);
        }

        if (_domains.Length > 0)
        {
            Host.Unpin(entry.Pinned, Options.Accounting);
            _steps.Add(new Type1Step(Type1StepKind.Unpin, -1, entry.Mapping.Iova, entry.Mapping.Size));
        }
    }

    private void UnmapFromDomain(int d, Type1Mapping mapping)
    {
        var gather = new UnmapGather();
        _domains[d].Unmap(mapping.Iova, mapping.Size, gather);
        _steps.Add(new Type1Step(Type1StepKind.DomainUnmap, d, mapping.Iova, mapping.Size));
        _domains[d].Sync(gather);
        _steps.Add(new Type1Step(Type1StepKind.IotlbSync, d, 0, 0));
    }

    private static Errno MapIntoDomain(IoPageTable domain, Type1Mapping mapping, ImmutableArray<HostSegment> pinned)
    {
        for (int s = 0; s < pinned.Length; s++)
        {
            var segment = pinned[s];
            var result = domain.Map(mapping.Iova + (segment.Hva - mapping.Vaddr), segment.Hpa, segment.Size, mapping.Protection);
            if (!result.Succeeded)
            {
                // Segments mapped before this one are removed again (iommu_map is all-or-nothing per call only).
                var gather = new UnmapGather();
                for (int undo = s - 1; undo >= 0; undo--)
                {
                    domain.Unmap(mapping.Iova + (pinned[undo].Hva - mapping.Vaddr), pinned[undo].Size, gather);
                    domain.Sync(gather);
                }

                return result.Error;
            }
        }

        return Errno.None;
    }

    private DmaMapping ToDmaMapping(Type1Mapping m)
    {
        var place = _ramBlocks.Find(m.Vaddr);
        return new DmaMapping(new AddressRange(m.Iova, m.Size), place?.Region ?? "hva", place?.Offset ?? m.Vaddr,
            (m.Flags & Type1MapFlags.Write) != 0);
    }

    private int FirstEndingAfter(ulong address) => EndOrderedSearch.FirstEndingAfter(_entries, address, static e => e.Mapping.End);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {_entries.Count} mappings, locked_vm=0x{Host.LockedVm:x}";

    private readonly record struct Entry(Type1Mapping Mapping, ImmutableArray<HostSegment> Pinned);
}
