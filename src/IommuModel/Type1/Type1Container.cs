using System.Collections.Immutable;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.Vfio;

namespace Verify.IommuModel.Type1;

/// <summary>
/// One VFIO type1 container (<c>struct vfio_iommu</c>): live mappings, their pins and charges in a
/// <see cref="HostMemory"/>, and one <see cref="IoPageTable"/> per IOMMU domain. MAP_DMA and UNMAP_DMA run
/// the kernel's checks in the kernel's order (docs/semantics.md 5.1, 5.2); errors are values.
/// </summary>
/// <remarks>
/// <para>Every mapping goes into every domain. Teardown is: unmap from each domain, sync that domain's
/// IOTLB, and only then unpin, so a page is never unpinned while a PTE or IOTLB entry can reach it; the
/// order is recorded in <see cref="Steps"/>.</para>
/// <para>As an <see cref="IDmaBackend"/> a listener's <see cref="DmaMapping"/> becomes MAP_DMA with READ
/// (+WRITE) at the vaddr the <see cref="RamBlocks"/> give its region and offset.</para>
/// <para>External pins (docs/semantics.md 5.4): registered devices pin pages through <see cref="PinPages"/> into a
/// per-mapping table (IOVA page -> pfn + references); UNMAP_DMA of a mapping with such pins calls every device's
/// <c>dma_unmap</c> and starts again, and more than <see cref="MaxUnmapRetries"/> retries on one mapping is the kernel
/// BUG (<see cref="KernelBug"/>), after which every call returns <see cref="Type1Result.Bug"/>. The VADDR pair
/// (5.2) invalidates and restores vaddrs; while any is invalid external pins are EBUSY. Migration of unpinned pages
/// is the host's (<see cref="HostMemory.Migrate"/>).</para>
/// <para>Not modelled: the dirty bitmap (refused with EINVAL), newer kernels' refusal of VADDR while mdevs are
/// attached. Mappings are an order-statistic tree sorted by IOVA: a call costs O(log n + k) plus the page-table work; a pin call
/// O(npage log n). Not thread-safe.</para>
/// </remarks>
public sealed class Type1Container : IDmaBackend
{
    /// <summary>Most pages one <see cref="PinPages"/> or <see cref="UnpinPages"/> call takes (<c>VFIO_PIN_PAGES_MAX_ENTRIES</c>).</summary>
    public const int MaxPinPages = 512;

    /// <summary>Retries on one mapping an UNMAP survives; one more is the kernel BUG.</summary>
    public const int MaxUnmapRetries = 10;

    // Sorted by IOVA in an order-statistic tree: a MAP or UNMAP anywhere among 65,535 mappings costs O(log n).
    private readonly OrderStatisticList<Entry> _entries = new();

    // Live views of _entries, so the two lists listeners and properties read on every plan cost no allocation.
    private readonly ProjectedList<Entry, Type1Mapping> _mappings;
    private readonly ProjectedList<Entry, DmaMapping> _views;
    private readonly List<Type1Step> _steps = [];
    private readonly IoPageTable[] _domains;
    private readonly List<Device> _devices = [];
    private readonly RamBlocks _ramBlocks;
    private int _vaddrInvalid;
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
        _mappings = new(_entries, static e => e.Mapping);
        _views = new(_entries, static e => e.View);
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
    /// <remarks>The live list: copy it to keep a snapshot. Indexing is O(log n), enumerating O(n).</remarks>
    public IReadOnlyList<Type1Mapping> Type1Mappings => _mappings;

    /// <summary>The live mappings as a listener sees them (region and offset from the <see cref="RamBlocks"/>;
    /// a vaddr outside every block shows as region <c>hva</c> at offset vaddr).</summary>
    /// <remarks>The live list: copy it to keep a snapshot. Indexing is O(log n), enumerating O(n).</remarks>
    public IReadOnlyList<DmaMapping> Mappings => _views;

    /// <summary>Every pin, domain map, domain unmap, sync and unpin, oldest first.</summary>
    public IReadOnlyList<Type1Step> Steps => _steps;

    /// <summary>Whether <see cref="Close"/> has run.</summary>
    public bool IsClosed => _closed;

    /// <summary>The external pin table (<c>vfio_pfn</c> entries of every mapping), ascending by IOVA.</summary>
    /// <remarks>A fresh list: O(pinned pages).</remarks>
    public IReadOnlyList<Type1ExternalPin> ExternalPins =>
        [.. _entries.SelectMany(e => e.External.Select(x => new Type1ExternalPin(x.Key, x.Value.Hpa, x.Value.Count)))];

    /// <summary>The kernel BUG an UNMAP hit (more than 10 retries on one mapping), or <see langword="null"/>. Once set,
    /// every call returns <see cref="Type1Result.Bug"/> and changes nothing.</summary>
    public Type1KernelBug? KernelBug { get; private set; }

    /// <summary>Registers a device (an mdev) with the container, with what its <c>dma_unmap</c> callback does.</summary>
    /// <param name="device">The device's name.</param>
    /// <param name="callback">Its callback, or <see cref="Type1DeviceCallback.None"/> for a device without one.</param>
    /// <returns><see cref="Errno.None"/>, or <see cref="Errno.EEXIST"/> for a name already registered.</returns>
    /// <exception cref="ArgumentNullException">A null name.</exception>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    public Errno RegisterDevice(string device, Type1DeviceCallback callback)
    {
        ArgumentNullException.ThrowIfNull(device);
        Preconditions.CheckState(!_closed, $"container {Name} is closed");
        if (_devices.Any(d => d.Name == device))
        {
            return Errno.EEXIST;
        }

        _devices.Add(new Device(device, callback));
        return Errno.None;
    }

    /// <summary><c>vfio_pin_pages</c> (docs/semantics.md 5.4): pins <paramref name="npage"/> host pages from
    /// <paramref name="iova"/> for <paramref name="device"/>. Checks in order: npage 0 (or an unaligned iova, the
    /// model's choice: callers pass pfns) EINVAL, more than 512 E2BIG, a v1 container EACCES, any invalidated vaddr
    /// EBUSY, a device that is not registered with a callback EINVAL; then per page: no mapping EINVAL, a mapping
    /// without <paramref name="prot"/> EPERM, a failing host pin its errno. An error unwinds the call's pages.</summary>
    /// <param name="device">The pinning device.</param>
    /// <param name="iova">First page's IOVA.</param>
    /// <param name="npage">Pages of <see cref="Type1Options.MinPageSize"/> (the host page).</param>
    /// <param name="prot">READ and/or WRITE the device needs.</param>
    /// <returns>Success with the bytes and each page's host physical address, or the errno; a failure changes nothing.</returns>
    /// <exception cref="ArgumentNullException">A null device name.</exception>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    /// <remarks>O(npage (log n + pin runs)): the cost follows the pages asked, at most 512.</remarks>
    public Type1Result PinPages(string device, ulong iova, int npage, Type1MapFlags prot)
    {
        ArgumentNullException.ThrowIfNull(device);
        Preconditions.CheckState(!_closed, $"container {Name} is closed");
        ulong page = Options.MinPageSize;
        if (RefusePinCall(iova, npage) is Type1Result refused)
        {
            return refused;
        }

        // The kernel refuses while any vaddr of the container is invalid, not only those in the range.
        if (_vaddrInvalid > 0)
        {
            return Type1Result.Fail(Errno.EBUSY);
        }

        var pinning = _devices.Find(d => d.Name == device);
        if (pinning is null || pinning.Callback == Type1DeviceCallback.None)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        var done = new List<(Entry Entry, ulong Iova)>(npage);
        var pfns = ImmutableArray.CreateBuilder<ulong>(npage);
        for (int i = 0; i < npage; i++)
        {
            var error = PinOnePage((UInt128)iova + ((UInt128)(uint)i * page), prot, out var entry, out ulong at, out ulong hpa);
            if (error != Errno.None)
            {
                for (int undo = done.Count - 1; undo >= 0; undo--)
                {
                    DropReference(done[undo].Entry, done[undo].Iova);
                }

                return Type1Result.Fail(error);
            }

            done.Add((entry!, at));
            pfns.Add(hpa);
        }

        foreach (var (_, at) in done)
        {
            pinning.Held[at] = pinning.Held.GetValueOrDefault(at) + 1;
        }

        return Type1Result.Ok((UInt128)(uint)npage * page) with { Pfns = pfns.MoveToImmutable() };
    }

    /// <summary><c>vfio_unpin_pages</c>: drops one reference per page from <paramref name="iova"/>, stopping at the first
    /// page no mapping covers; a page whose count reaches 0 is unpinned and uncharged. A page without a pin is
    /// skipped (the kernel warns).</summary>
    /// <param name="device">The device unpinning (its own record of what it holds follows).</param>
    /// <param name="iova">First page's IOVA.</param>
    /// <param name="npage">Pages.</param>
    /// <returns>Success with the bytes of the pages walked (the old kernel returned their number); EINVAL for npage 0,
    /// an unaligned iova or a first page no mapping covers; E2BIG past 512; EACCES on v1.</returns>
    /// <exception cref="ArgumentNullException">A null device name.</exception>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    public Type1Result UnpinPages(string device, ulong iova, int npage)
    {
        ArgumentNullException.ThrowIfNull(device);
        Preconditions.CheckState(!_closed, $"container {Name} is closed");
        ulong page = Options.MinPageSize;
        if (RefusePinCall(iova, npage) is Type1Result refused)
        {
            return refused;
        }

        var unpinning = _devices.Find(d => d.Name == device);
        int walked = 0;
        for (; walked < npage; walked++)
        {
            UInt128 position = (UInt128)iova + ((UInt128)(uint)walked * page);
            var entry = position > ulong.MaxValue ? null : EntryAt((ulong)position);
            if (entry is null)
            {
                break;
            }

            ulong at = (ulong)position;
            if (entry.External.ContainsKey(at))
            {
                DropReference(entry, at);
                if (unpinning is not null && unpinning.Held.TryGetValue(at, out int held))
                {
                    Forget(unpinning, at, held);
                }
            }
        }

        return walked > 0 ? Type1Result.Ok((UInt128)(uint)walked * page) : Type1Result.Fail(Errno.EINVAL);
    }

    /// <summary><c>VFIO_IOMMU_MAP_DMA</c>.</summary>
    /// <param name="flags">READ and/or WRITE for a new mapping; VADDR alone to give an invalidated mapping of exactly
    /// this iova and size its new vaddr (ENOENT when nothing overlaps, EINVAL when the overlap is not such a mapping).</param>
    /// <param name="iova">First IOVA.</param>
    /// <param name="vaddr">Host virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <returns>Success with <paramref name="size"/>, or the first failing check's errno; a failure changes nothing.</returns>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    public Type1Result MapDma(Type1MapFlags flags, ulong iova, ulong vaddr, ulong size)
    {
        Preconditions.CheckState(!_closed, $"container {Name} is closed");
        if (KernelBug is not null)
        {
            return Type1Result.Bug;
        }

        // 1. Flags: READ|WRITE|VADDR only; a new mapping needs READ or WRITE, a vaddr update neither.
        const Type1MapFlags readWrite = Type1MapFlags.Read | Type1MapFlags.Write;
        bool setVaddr = (flags & Type1MapFlags.Vaddr) != 0;
        if ((flags & ~(readWrite | Type1MapFlags.Vaddr)) != 0 || ((flags & readWrite) != 0) == setVaddr)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        // 2. Size and alignment to the smallest IOMMU page.
        ulong mask = Options.MinPageSize - 1;
        if (size == 0 || ((iova | vaddr | size) & mask) != 0)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        // 3. The last byte must not wrap past 2^64 (a mapping may end exactly at 2^64).
        if (iova + (size - 1) < iova || vaddr + (size - 1) < vaddr)
        {
            return Type1Result.Fail(Options.WrapErrno);
        }

        // 4. Overlap, before the slot count, in the kernel's order; a vaddr update stops here either way.
        var mapping = new Type1Mapping(iova, size, vaddr, flags);
        int at = FirstEndingAfter(iova);
        bool overlaps = at < _entries.Count && _entries[at].Mapping.Iova < mapping.End;
        if (setVaddr)
        {
            return RestoreVaddr(at, overlaps, iova, vaddr, size);
        }

        if (overlaps)
        {
            return Type1Result.Fail(Errno.EEXIST);
        }

        // 5. Slots.
        if (_entries.Count >= Options.DmaEntryLimit)
        {
            return Type1Result.Fail(Errno.ENOSPC);
        }

        // 6. One valid IOVA range must hold the whole mapping.
        if (!Options.ValidIovaRanges.Any(r => r.Start <= iova && mapping.End <= r.End))
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        // 7. Pin and charge; with no domain (mdev only) nothing is pinned at MAP time.
        var pinned = ImmutableArray<HostSegment>.Empty;
        if (_domains.Length > 0)
        {
            var error = Host.Pin(vaddr, size, Options.Accounting, charge: true, ChargesReserved, out pinned);
            if (error != Errno.None)
            {
                return Type1Result.Fail(error);
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

                Host.Unpin(pinned, Options.Accounting, charge: true, ChargesReserved);
                _steps.Add(new Type1Step(Type1StepKind.Unpin, -1, iova, size));
                return Type1Result.Fail(error);
            }

            _steps.Add(new Type1Step(Type1StepKind.DomainMap, d, iova, size));
        }

        _entries.Insert(at, new Entry(mapping, ToDmaMapping(mapping), pinned));
        return Type1Result.Ok(size);
    }

    /// <summary><c>VFIO_IOMMU_UNMAP_DMA</c>.</summary>
    /// <param name="flags">None, ALL, VADDR or VADDR|ALL (the dirty bitmap is refused with EINVAL).</param>
    /// <param name="iova">First IOVA (0 with ALL).</param>
    /// <param name="size">Bytes (0 with ALL).</param>
    /// <returns>Success with the sum of the removed (or, with VADDR, invalidated) mappings' full sizes (0 for an empty
    /// range), EINVAL (under v2 a refused call changed nothing; VADDR on a mapping already invalid undoes the call),
    /// or the kernel BUG when a mapping's external pins survive more than 10 rounds of device callbacks.</returns>
    /// <exception cref="InvalidOperationException">The container is closed.</exception>
    public Type1Result UnmapDma(Type1UnmapFlags flags, ulong iova, ulong size)
    {
        Preconditions.CheckState(!_closed, $"container {Name} is closed");
        return KernelBug is not null ? Type1Result.Bug : UnmapCore(flags, iova, size);
    }

    /// <summary>Releases the container as closing the fd does: the devices are gone, so every external pin is dropped;
    /// then every mapping is unmapped from every domain, synced, unpinned and uncharged, even after a kernel BUG.
    /// Later calls throw.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        foreach (var entry in _entries)
        {
            foreach (ulong at in entry.External.Keys.ToList())
            {
                entry.External[at].Count = 1;
                DropReference(entry, at);
            }
        }

        foreach (var entry in _entries)
        {
            Teardown(entry);
        }

        _entries.Clear();
        _devices.Clear();
        _vaddrInvalid = 0;
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
        return MapDma(flags, mapping.Iova.Start, vaddr, (ulong)mapping.Iova.Size).ToDmaResult();
    }

    /// <inheritdoc/>
    /// <remarks>A 2^64 range does not fit the ioctl's 64-bit size: it arrives as size 0 and is refused
    /// (the QEMU abort "vfio: Don't issue full 2^64 unmap" fixed); use <see cref="UnmapAll"/>.</remarks>
    public DmaResult Unmap(AddressRange iova) => UnmapDma(Type1UnmapFlags.None, iova.Start, (ulong)iova.Size).ToDmaResult();

    /// <inheritdoc/>
    public DmaResult UnmapAll() => UnmapDma(Type1UnmapFlags.All, 0, 0).ToDmaResult();

    /// <summary>The checks pin and unpin share, in the kernel's order: a dead container, npage 0 (or an unaligned
    /// iova), more than 512 pages, a v1 container.</summary>
    private Type1Result? RefusePinCall(ulong iova, int npage) =>
        KernelBug is not null ? Type1Result.Bug
        : npage <= 0 || iova % Options.MinPageSize != 0 ? Type1Result.Fail(Errno.EINVAL)
        : npage > MaxPinPages ? Type1Result.Fail(Errno.E2BIG)
        : Options.Version == Type1Version.V1 ? Type1Result.Fail(Errno.EACCES)
        : null;

    private bool ChargesReserved => Options.Bug == Type1Bug.ChargesReservedPfns;

    private Type1Result UnmapCore(Type1UnmapFlags flags, ulong iova, ulong size)
    {
        ulong mask = Options.MinPageSize - 1;
        if ((flags & ~(Type1UnmapFlags.All | Type1UnmapFlags.Vaddr)) != 0 || (iova & mask) != 0)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        bool all = (flags & Type1UnmapFlags.All) != 0;
        UInt128 end;
        if (all)
        {
            if (iova != 0 || size != 0)
            {
                return Type1Result.Fail(Errno.EINVAL);
            }

            end = (UInt128)1 << 64;
        }
        else
        {
            if (size == 0 || (size & mask) != 0 || iova + (size - 1) < iova)
            {
                return Type1Result.Fail(Errno.EINVAL);
            }

            end = (UInt128)iova + size;
        }

        UInt128 total = 0;
        Entry? last = null;
        int retries = 0;

        // The kernel's "goto again": after the devices' callbacks every check and search runs anew.
        while (true)
        {
            int first = FirstEndingAfter(iova);
            var touched = _entries.EnumerateFrom(first).TakeWhile(e => e.Mapping.Iova < end).ToList();
            if (touched.Count == 0)
            {
                return Type1Result.Ok(total);
            }

            if (Options.Version == Type1Version.V2 && !all && Options.Bug != Type1Bug.BisectUnderV2)
            {
                // Both ends are checked before anything is removed: a bisecting v2 unmap changes nothing.
                if (touched[0].Mapping.Iova < iova || touched[^1].Mapping.End > end)
                {
                    return Type1Result.Fail(Errno.EINVAL);
                }
            }
            else if (touched[0].Mapping.Iova < iova)
            {
                // v1 stops at a first mapping that starts before the request: nothing (more) is removed.
                return Type1Result.Ok(total);
            }

            if ((flags & Type1UnmapFlags.Vaddr) != 0)
            {
                return InvalidateVaddrs(touched);
            }

            int k = 0;
            while (k < touched.Count && (touched[k].External.Count == 0 || Options.Bug == Type1Bug.UnmapIgnoresExternalPins))
            {
                total += touched[k].Mapping.Size;
                Teardown(touched[k]);
                k++;
            }

            RemoveEntries(first, touched.GetRange(0, k));
            if (k == touched.Count)
            {
                return Type1Result.Ok(total);
            }

            // The first mapping left holds external pins: ask every device to drop them, then start again.
            var pinned = touched[k];
            if (ReferenceEquals(pinned, last))
            {
                if (++retries > MaxUnmapRetries)
                {
                    KernelBug = new Type1KernelBug(pinned.Mapping.Iova, pinned.Mapping.Size, retries);
                    return Type1Result.Bug;
                }
            }
            else
            {
                last = pinned;
                retries = 0;
            }

            _steps.Add(new Type1Step(Type1StepKind.DeviceCallback, retries, pinned.Mapping.Iova, pinned.Mapping.Size));
            foreach (var device in _devices)
            {
                CallBack(device, pinned.Mapping);
            }
        }
    }

    /// <summary>UNMAP with VADDR over the touched mappings: all or nothing; one already invalid refuses the call.</summary>
    private Type1Result InvalidateVaddrs(List<Entry> touched)
    {
        UInt128 total = 0;
        foreach (var entry in touched)
        {
            if (entry.Mapping.VaddrInvalid)
            {
                // The kernel marks in order and un-marks what it marked when it meets one: nothing changes.
                return Type1Result.Fail(Errno.EINVAL);
            }

            total += entry.Mapping.Size;
        }

        foreach (var entry in touched)
        {
            SetMapping(entry, entry.Mapping with { VaddrInvalid = true });
            _vaddrInvalid++;
        }

        return Type1Result.Ok(total);
    }

    /// <summary>MAP with VADDR after the overlap search: the one overlapping mapping must be invalid and match exactly.</summary>
    private Type1Result RestoreVaddr(int at, bool overlaps, ulong iova, ulong vaddr, ulong size)
    {
        if (!overlaps)
        {
            return Type1Result.Fail(Errno.ENOENT);
        }

        var entry = _entries[at];
        var old = entry.Mapping;
        if (!old.VaddrInvalid || old.Iova != iova || old.Size != size)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        SetMapping(entry, old with { Vaddr = vaddr, VaddrInvalid = false, PinnedVaddr = old.PinnedVaddr });
        _vaddrInvalid--;
        return Type1Result.Ok(size);
    }

    private void SetMapping(Entry entry, Type1Mapping mapping)
    {
        entry.Mapping = mapping;
        entry.View = ToDmaMapping(mapping);
    }

    /// <summary>Removes <paramref name="removed"/>, the entries from index <paramref name="first"/> on.</summary>
    private void RemoveEntries(int first, List<Entry> removed)
    {
        foreach (var entry in removed)
        {
            _vaddrInvalid -= entry.Mapping.VaddrInvalid ? 1 : 0;
        }

        _entries.RemoveRange(first, removed.Count);
    }

    /// <summary>One page of <see cref="PinPages"/>: the first pin pins (charging only without a domain), a later pin
    /// takes a reference.</summary>
    private Errno PinOnePage(UInt128 position, Type1MapFlags prot, out Entry? entry, out ulong at, out ulong hpa)
    {
        at = (ulong)position;
        hpa = 0;
        entry = position > ulong.MaxValue ? null : EntryAt(at);
        if (entry is null)
        {
            return Errno.EINVAL;
        }

        var need = prot & (Type1MapFlags.Read | Type1MapFlags.Write);
        if ((entry.Mapping.Flags & need) != need)
        {
            return Errno.EPERM;
        }

        if (entry.External.TryGetValue(at, out var existing))
        {
            existing.Count += Options.Bug == Type1Bug.PinWithoutReference ? 0 : 1;
            hpa = existing.Hpa;
            return Errno.None;
        }

        ulong page = Options.MinPageSize;
        var error = Host.Pin(entry.Mapping.Vaddr + (at - entry.Mapping.Iova), page, Options.Accounting, ChargesExternal, ChargesReserved, out var segments);
        if (error != Errno.None)
        {
            return error;
        }

        entry.External[at] = new ExternalPage(segments);
        hpa = segments[0].Hpa;
        return Errno.None;
    }

    /// <summary>Only a container without an IOMMU domain charges external pins: otherwise MAP already charged the memory.</summary>
    private bool ChargesExternal => _domains.Length == 0;

    private void DropReference(Entry entry, ulong at)
    {
        if (!entry.External.TryGetValue(at, out var pin))
        {
            return;
        }

        if (--pin.Count <= 0)
        {
            entry.External.Remove(at);
            Host.Unpin(pin.Segments, Options.Accounting, ChargesExternal, ChargesReserved);
        }
    }

    /// <summary>What a device's <c>dma_unmap</c> does for the mapping's range, through the same unpin a driver calls.</summary>
    private void CallBack(Device device, Type1Mapping mapping)
    {
        if (device.Callback is Type1DeviceCallback.None or Type1DeviceCallback.UnpinsNothing)
        {
            return;
        }

        var held = device.Held.Where(h => h.Key >= mapping.Iova && h.Key < mapping.End).OrderBy(h => h.Key).ToList();
        if (device.Callback == Type1DeviceCallback.UnpinsOnePage && held.Count > 0)
        {
            held = [new(held[0].Key, 1)];
        }

        foreach (var (at, count) in held)
        {
            for (int n = 0; n < count; n++)
            {
                UnpinPages(device.Name, at, 1);
            }
        }
    }

    private static void Forget(Device device, ulong at, int held)
    {
        if (held <= 1)
        {
            device.Held.Remove(at);
        }
        else
        {
            device.Held[at] = held - 1;
        }
    }

    private Entry? EntryAt(ulong iova)
    {
        int k = FirstEndingAfter(iova);
        return k < _entries.Count && _entries[k].Mapping.Iova <= iova ? _entries[k] : null;
    }

    private void Teardown(Entry entry)
    {
        if (Options.Bug == Type1Bug.UnpinBeforeSync && _domains.Length > 0)
        {
            Host.Unpin(entry.Pinned, Options.Accounting, charge: true, ChargesReserved);
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
            Host.Unpin(entry.Pinned, Options.Accounting, charge: true, ChargesReserved);
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

    /// <summary>The index of the first mapping ending after <paramref name="address"/> (Count when none): the first one
    /// that can contain or follow it. O(log n).</summary>
    private int FirstEndingAfter(ulong address) => _entries.FirstIndexWhere(address, static (e, a) => e.Mapping.End > a);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {_entries.Count} mappings, locked_vm=0x{Host.LockedVm:x}";

    /// <summary>One <c>vfio_dma</c>: the mapping (its vaddr may change) and how a listener sees it, MAP's pins, and
    /// its external pin table.</summary>
    private sealed class Entry(Type1Mapping mapping, DmaMapping view, ImmutableArray<HostSegment> pinned)
    {
        public Type1Mapping Mapping { get; set; } = mapping;

        public DmaMapping View { get; set; } = view;

        public ImmutableArray<HostSegment> Pinned { get; } = pinned;

        public SortedDictionary<ulong, ExternalPage> External { get; } = [];
    }

    /// <summary>One <c>vfio_pfn</c>: the host page the first pin took and the references on it.</summary>
    private sealed class ExternalPage(ImmutableArray<HostSegment> segments)
    {
        public ImmutableArray<HostSegment> Segments { get; } = segments;

        public ulong Hpa => Segments[0].Hpa;

        public int Count { get; set; } = 1;
    }

    /// <summary>A registered device and the references it took (a driver's own GFN table), so its callback can give them back.</summary>
    private sealed class Device(string name, Type1DeviceCallback callback)
    {
        public string Name { get; } = name;

        public Type1DeviceCallback Callback { get; } = callback;

        public Dictionary<ulong, int> Held { get; } = [];
    }
}
