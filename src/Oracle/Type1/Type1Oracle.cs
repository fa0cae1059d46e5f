using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.Vfio;

namespace Verify.Oracle.Type1;

/// <summary>
/// VFIO type1 as docs/semantics.md 5.1-5.4 states it, page by page: a plain list of mappings, each holding the
/// physical page behind every one of its pages; a dictionary of pin counts keyed by physical page; a dictionary
/// of external pins keyed by IOVA page (pfn + references); the registered devices with what each holds; the
/// charge recounted from scratch. UNMAP transcribes the kernel's loop literally: start again after every round
/// of device callbacks, BUG after more than 10 on one mapping. The host may migrate an unpinned page. It uses
/// the model's vocabulary (options, flags, runs, results) and none of its code.
/// </summary>
/// <remarks>Slow on purpose: a MAP walks its pages one by one, so inputs must stay small (a few thousand
/// backed pages). The walk stops at the first unbacked page, so a huge MAP over little memory is cheap.</remarks>
public sealed class Type1Oracle
{
    private readonly Type1Options _options;
    private readonly bool _hasDomain;
    private readonly Dictionary<ulong, ulong> _backing = [];
    private readonly List<PhysicalRange> _reserved;
    private readonly List<Page[]> _pagesOf = [];
    private readonly List<Type1Mapping> _mappings = [];
    private readonly Dictionary<ulong, int> _pins = [];
    private readonly ulong _initialLockedVm;
    private readonly ulong _rlimit;
    private readonly bool _cap;
    private readonly Dictionary<ulong, ExternalPin> _external = [];
    private readonly List<(string Name, Type1DeviceCallback Callback, Dictionary<ulong, int> Held)> _devices = [];
    private bool _bug;

    /// <summary>Creates an empty container in a process with the given memory.</summary>
    /// <param name="options">The type1 variant.</param>
    /// <param name="hasDomain">Whether the container has an IOMMU domain (else MAP pins nothing).</param>
    /// <param name="virtualRuns">The process's backed virtual ranges; page aligned, small.</param>
    /// <param name="reserved">Reserved physical ranges.</param>
    /// <param name="rlimitMemlock">RLIMIT_MEMLOCK in bytes.</param>
    /// <param name="capIpcLock">Whether the limit is ignored.</param>
    /// <param name="lockedVm">What the process has locked already.</param>
    public Type1Oracle(Type1Options options, bool hasDomain, IEnumerable<VirtualRun> virtualRuns, IEnumerable<PhysicalRange> reserved,
        ulong rlimitMemlock, bool capIpcLock, ulong lockedVm)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _hasDomain = hasDomain;
        ulong p = options.MinPageSize;
        foreach (var run in virtualRuns ?? throw new ArgumentNullException(nameof(virtualRuns)))
        {
            for (ulong k = 0; k < run.Size / p; k++)
            {
                _backing[run.Hva + (k * p)] = run.Hpa + (k * p);
            }
        }

        _reserved = [.. reserved ?? throw new ArgumentNullException(nameof(reserved))];
        _rlimit = rlimitMemlock;
        _cap = capIpcLock;
        _initialLockedVm = lockedVm;
    }

    /// <summary>The live mappings, ascending by IOVA.</summary>
    public IReadOnlyList<Type1Mapping> Mappings => [.. _mappings.OrderBy(m => m.Iova)];

    /// <summary>Pin count per physical page (pages with a count of 0 are absent).</summary>
    public IReadOnlyDictionary<ulong, int> Pins => _pins.Where(p => p.Value > 0).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The external pins, ascending by IOVA.</summary>
    public IReadOnlyList<Type1ExternalPin> ExternalPins =>
        [.. _external.OrderBy(x => x.Key).Select(x => new Type1ExternalPin(x.Key, x.Value.Hpa, x.Value.Count))];

    /// <summary>Whether an UNMAP hit the kernel BUG.</summary>
    public bool KernelBug => _bug;

    /// <summary>How many rounds of device callbacks UNMAPs have made.</summary>
    public int CallbackRounds { get; private set; }

    /// <summary><c>locked_vm</c> recounted from scratch: the initial charge plus, per mapping, every non-reserved
    /// page and, without a domain, every non-reserved external pin (per-mapping accounting), or every distinct
    /// pinned non-reserved page (shared).</summary>
    public ulong LockedVm
    {
        get
        {
            ulong p = _options.MinPageSize;
            if (_options.Accounting == AccountingMode.Shared)
            {
                return _initialLockedVm + ((ulong)_pins.Count(x => x.Value > 0) * p);
            }

            ulong pages = 0;
            foreach (var pages1 in _pagesOf)
            {
                pages += (ulong)pages1.Count(x => !x.Reserved);
            }

            if (!_hasDomain)
            {
                pages += (ulong)_external.Values.Count(x => !x.Reserved);
            }

            return _initialLockedVm + (pages * p);
        }
    }

    /// <summary>What a device behind the container's domains reaches at <paramref name="iova"/>: the physical
    /// address and rights, or <see langword="null"/> (also always without a domain).</summary>
    /// <param name="iova">Any IOVA.</param>
    /// <returns>The translation.</returns>
    public Translation? Translate(ulong iova)
    {
        if (!_hasDomain)
        {
            return null;
        }

        ulong p = _options.MinPageSize;
        for (int i = 0; i < _mappings.Count; i++)
        {
            var m = _mappings[i];
            if (iova >= m.Iova && iova - m.Iova < m.Size)
            {
                ulong k = (iova - m.Iova) / p;
                return new Translation(_pagesOf[i][k].Hpa + ((iova - m.Iova) % p), m.Protection);
            }
        }

        return null;
    }

    /// <summary>MAP_DMA, checks 1-8 in order.</summary>
    /// <param name="flags">Flags.</param>
    /// <param name="iova">IOVA.</param>
    /// <param name="vaddr">Host virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <returns>The errno and size.</returns>
    public Type1Result Map(Type1MapFlags flags, ulong iova, ulong vaddr, ulong size)
    {
        const Type1MapFlags readWrite = Type1MapFlags.Read | Type1MapFlags.Write;
        if (_bug)
        {
            return Type1Result.Bug;
        }

        // 1. Flags other than READ|WRITE|VADDR; READ or WRITE together with VADDR; neither READ, WRITE nor VADDR.
        bool setVaddr = (flags & Type1MapFlags.Vaddr) != 0;
        bool prot = (flags & readWrite) != 0;
        if ((flags & ~(readWrite | Type1MapFlags.Vaddr)) != 0 || (prot && setVaddr) || (!prot && !setVaddr))
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        // 2. size 0 or anything not aligned to the smallest IOMMU page.
        ulong p = _options.MinPageSize;
        if (size == 0 || iova % p != 0 || vaddr % p != 0 || size % p != 0)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        // 3. The last byte of either range beyond 2^64 - 1.
        UInt128 last = (UInt128)size - 1;
        if (iova + last > ulong.MaxValue || vaddr + last > ulong.MaxValue)
        {
            return Type1Result.Fail(_options.WrapErrno);
        }

        // 4. Any overlap; a vaddr update needs exactly one invalidated mapping of this iova and size.
        UInt128 end = (UInt128)iova + size;
        if (setVaddr)
        {
            var overlapping = _mappings.Where(m => m.Iova < end && iova < m.End).ToList();
            if (overlapping.Count == 0)
            {
                return Type1Result.Fail(Errno.ENOENT);
            }

            int i = _mappings.IndexOf(overlapping[0]);
            if (overlapping.Count != 1 || !_mappings[i].VaddrInvalid || _mappings[i].Iova != iova || _mappings[i].Size != size)
            {
                return Type1Result.Fail(Errno.EINVAL);
            }

            _mappings[i] = _mappings[i] with { Vaddr = vaddr, VaddrInvalid = false };
            return Type1Result.Ok(size);
        }

        if (_mappings.Any(m => m.Iova < end && iova < m.End))
        {
            return Type1Result.Fail(Errno.EEXIST);
        }

        // 5. Slots.
        if (_mappings.Count >= _options.DmaEntryLimit)
        {
            return Type1Result.Fail(Errno.ENOSPC);
        }

        // 6. Inside one valid IOVA range.
        if (!_options.ValidIovaRanges.Any(r => r.Start <= iova && end <= r.End))
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        // 7. Pin every page, in order; the first failing page decides; any failure undoes everything.
        var pages = new List<Page>();
        if (_hasDomain)
        {
            ulong charged = 0;
            ulong lockedBefore = LockedVm;
            for (UInt128 off = 0; off < size; off += p)
            {
                if (!_backing.TryGetValue(vaddr + (ulong)off, out ulong hpa))
                {
                    Undo(pages);
                    return Type1Result.Fail(Errno.EFAULT);
                }

                bool reserved = _reserved.Any(r => r.Contains(hpa));
                ulong charge = reserved ? 0
                    : _options.Accounting == AccountingMode.PerMapping ? p
                    : _pins.GetValueOrDefault(hpa) == 0 ? p : 0;
                if (!_cap && (UInt128)lockedBefore + charged + charge > _rlimit)
                {
                    Undo(pages);
                    return Type1Result.Fail(Errno.ENOMEM);
                }

                if (!reserved)
                {
                    _pins[hpa] = _pins.GetValueOrDefault(hpa) + 1;
                }

                charged += charge;
                pages.Add(new Page(hpa, reserved));
            }
        }

        // 8. Mapped into every domain (the translation above reads the pages).
        _mappings.Add(new Type1Mapping(iova, size, vaddr, flags));
        _pagesOf.Add([.. pages]);
        return Type1Result.Ok(size);
    }

    /// <summary>UNMAP_DMA as docs/semantics.md 5.2 and 5.4 state it.</summary>
    /// <param name="flags">Flags.</param>
    /// <param name="iova">IOVA.</param>
    /// <param name="size">Bytes.</param>
    /// <returns>The errno and the sum of removed (or invalidated) mappings' full sizes, or the kernel BUG.</returns>
    public Type1Result Unmap(Type1UnmapFlags flags, ulong iova, ulong size)
    {
        if (_bug)
        {
            return Type1Result.Bug;
        }

        ulong p = _options.MinPageSize;
        if ((flags & ~(Type1UnmapFlags.All | Type1UnmapFlags.Vaddr)) != 0 || iova % p != 0)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        bool all = (flags & Type1UnmapFlags.All) != 0;
        UInt128 start = iova, end;
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
            if (size == 0 || size % p != 0 || (UInt128)iova + size - 1 > ulong.MaxValue)
            {
                return Type1Result.Fail(Errno.EINVAL);
            }

            end = (UInt128)iova + size;
        }

        UInt128 total = 0;
        ulong? last = null;
        int retries = 0;
    again:
        if (_options.Version == Type1Version.V2 && !all)
        {
            // No bisect, checked before anything is removed.
            UInt128 lastByte = end - 1;
            foreach (var m in _mappings)
            {
                bool holdsFirst = m.Iova <= start && start < m.End;
                bool holdsLast = m.Iova <= lastByte && lastByte < m.End;
                if ((holdsFirst && m.Iova != start) || (holdsLast && m.End != end))
                {
                    return Type1Result.Fail(Errno.EINVAL);
                }
            }
        }

        var marked = new List<int>();
        while (true)
        {
            // The lowest mapping in the range not yet handled; v1 stops at one that starts before the request.
            int victim = -1;
            for (int i = 0; i < _mappings.Count; i++)
            {
                var m = _mappings[i];
                if (m.Iova < end && start < m.End && !marked.Contains(i) && (victim < 0 || m.Iova < _mappings[victim].Iova))
                {
                    victim = i;
                }
            }

            if (victim < 0 || _mappings[victim].Iova < start)
            {
                return Type1Result.Ok(total);
            }

            var dma = _mappings[victim];
            if ((flags & Type1UnmapFlags.Vaddr) != 0)
            {
                if (dma.VaddrInvalid)
                {
                    foreach (int i in marked)
                    {
                        _mappings[i] = _mappings[i] with { VaddrInvalid = false };
                    }

                    return Type1Result.Fail(Errno.EINVAL);
                }

                _mappings[victim] = dma with { VaddrInvalid = true };
                marked.Add(victim);
                total += dma.Size;
                continue;
            }

            if (_external.Keys.Any(k => k >= dma.Iova && k < dma.End))
            {
                if (last == dma.Iova)
                {
                    retries++;
                    if (retries > 10)
                    {
                        _bug = true;
                        return Type1Result.Bug;
                    }
                }
                else
                {
                    last = dma.Iova;
                    retries = 0;
                }

                CallbackRounds++;
                foreach (var device in _devices.ToList())
                {
                    DeviceUnmapCallback(device.Name, device.Callback, device.Held, dma);
                }

                goto again;
            }

            total += dma.Size;
            Undo(_pagesOf[victim]);
            _mappings.RemoveAt(victim);
            _pagesOf.RemoveAt(victim);
        }
    }

    /// <summary>Registers a device with its callback; a name already registered is EEXIST.</summary>
    /// <param name="device">Name.</param>
    /// <param name="callback">What its <c>dma_unmap</c> does.</param>
    /// <returns>The errno.</returns>
    public Errno RegisterDevice(string device, Type1DeviceCallback callback)
    {
        if (_devices.Any(d => d.Name == device))
        {
            return Errno.EEXIST;
        }

        _devices.Add((device, callback, []));
        return Errno.None;
    }

    /// <summary><c>vfio_pin_pages</c>, docs/semantics.md 5.4, page by page.</summary>
    /// <param name="device">The pinning device.</param>
    /// <param name="iova">First page.</param>
    /// <param name="npage">Pages.</param>
    /// <param name="prot">Rights needed.</param>
    /// <returns>The errno, or the bytes and each page's pfn.</returns>
    public Type1Result Pin(string device, ulong iova, int npage, Type1MapFlags prot)
    {
        ulong p = _options.MinPageSize;
        var refused = FirstPinCheck(iova, npage);
        if (refused is not null)
        {
            return refused.Value;
        }

        if (_mappings.Any(m => m.VaddrInvalid))
        {
            return Type1Result.Fail(Errno.EBUSY);
        }

        int d = _devices.FindIndex(x => x.Name == device);
        if (d < 0 || _devices[d].Callback == Type1DeviceCallback.None)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        var taken = new List<ulong>();
        var pfns = new List<ulong>();
        Type1MapFlags need = prot & (Type1MapFlags.Read | Type1MapFlags.Write);
        for (int i = 0; i < npage; i++)
        {
            UInt128 page = iova + ((UInt128)(ulong)i * p);
            var owner = _mappings.Where(m => page < m.End && m.Iova <= page).ToList();
            Errno error = owner.Count == 0 ? Errno.EINVAL
                : (owner[0].Flags & need) != need ? Errno.EPERM
                : Errno.None;
            ulong hpa = 0;
            if (error == Errno.None && _external.TryGetValue((ulong)page, out var pin))
            {
                _external[(ulong)page] = pin with { Count = pin.Count + 1 };
                hpa = pin.Hpa;
            }
            else if (error == Errno.None)
            {
                error = PinNewPage(owner[0], (ulong)page, out hpa);
            }

            if (error != Errno.None)
            {
                taken.Reverse();
                foreach (ulong t in taken)
                {
                    DropExternal(t);
                }

                return Type1Result.Fail(error);
            }

            taken.Add((ulong)page);
            pfns.Add(hpa);
        }

        foreach (ulong t in taken)
        {
            _devices[d].Held[t] = _devices[d].Held.GetValueOrDefault(t) + 1;
        }

        return Type1Result.Ok((ulong)npage * p) with { Pfns = [.. pfns] };
    }

    /// <summary><c>vfio_unpin_pages</c> as the kernel before 6.0 returned it: pages walked, or EINVAL for none.</summary>
    /// <param name="device">The unpinning device.</param>
    /// <param name="iova">First page.</param>
    /// <param name="npage">Pages.</param>
    /// <returns>The errno or the bytes walked.</returns>
    public Type1Result Unpin(string device, ulong iova, int npage)
    {
        ulong p = _options.MinPageSize;
        var refused = FirstPinCheck(iova, npage);
        if (refused is not null)
        {
            return refused.Value;
        }

        int walked = 0;
        for (int i = 0; i < npage; i++)
        {
            UInt128 page = iova + ((UInt128)(ulong)i * p);
            if (!_mappings.Any(m => page < m.End && m.Iova <= page))
            {
                break;
            }

            walked++;
            if (_external.ContainsKey((ulong)page))
            {
                DropExternal((ulong)page);
                foreach (var dev in _devices.Where(x => x.Name == device && x.Held.ContainsKey((ulong)page)))
                {
                    dev.Held[(ulong)page]--;
                    if (dev.Held[(ulong)page] == 0)
                    {
                        dev.Held.Remove((ulong)page);
                    }
                }
            }
        }

        return walked == 0 ? Type1Result.Fail(Errno.EINVAL) : Type1Result.Ok((ulong)walked * p);
    }

    /// <summary>What pin and unpin check first, in order: after a BUG nothing runs; npage 0 or an unaligned iova;
    /// more than 512 pages; v1.</summary>
    private Type1Result? FirstPinCheck(ulong iova, int npage)
    {
        if (_bug)
        {
            return Type1Result.Bug;
        }

        if (npage <= 0 || iova % _options.MinPageSize != 0)
        {
            return Type1Result.Fail(Errno.EINVAL);
        }

        if (npage > 512)
        {
            return Type1Result.Fail(Errno.E2BIG);
        }

        return _options.Version == Type1Version.V1 ? Type1Result.Fail(Errno.EACCES) : null;
    }

    /// <summary>The host moves the page at <paramref name="hva"/> to <paramref name="newHpa"/>: refused for a hole
    /// (EFAULT), reserved memory (EINVAL) and a pinned page (EBUSY).</summary>
    /// <param name="hva">The page's virtual address.</param>
    /// <param name="newHpa">Where it goes.</param>
    /// <returns>The errno.</returns>
    public Errno Migrate(ulong hva, ulong newHpa)
    {
        if (!_backing.TryGetValue(hva, out ulong hpa))
        {
            return Errno.EFAULT;
        }

        if (_reserved.Any(r => r.Contains(hpa)))
        {
            return Errno.EINVAL;
        }

        if (_pins.GetValueOrDefault(hpa) > 0)
        {
            return Errno.EBUSY;
        }

        // The page moves for every virtual page that maps it, not just the one named (the reverse map).
        foreach (ulong alias in _backing.Where(b => b.Value == hpa).Select(b => b.Key).ToList())
        {
            _backing[alias] = newHpa;
        }

        return Errno.None;
    }

    /// <summary>Closing the container: the devices are gone, so their pins go; then everything is unmapped and unpinned.</summary>
    public void Close()
    {
        foreach (ulong page in _external.Keys.ToList())
        {
            _external[page] = _external[page] with { Count = 1 };
            DropExternal(page);
        }

        _devices.Clear();
        _bug = false;
        Unmap(Type1UnmapFlags.All, 0, 0);
    }

    /// <summary>The first pin of an IOVA page: pin the page behind the mapping's vaddr, charging (per mapping) only
    /// without a domain; over the limit is ENOMEM, a hole EFAULT.</summary>
    private Errno PinNewPage(Type1Mapping m, ulong page, out ulong hpa)
    {
        ulong p = _options.MinPageSize;
        if (!_backing.TryGetValue(m.Vaddr + (page - m.Iova), out hpa))
        {
            return Errno.EFAULT;
        }

        ulong h = hpa;
        bool reserved = _reserved.Any(r => r.Contains(h));
        ulong charge = reserved ? 0
            : _options.Accounting == AccountingMode.Shared ? (_pins.GetValueOrDefault(h) == 0 ? p : 0)
            : _hasDomain ? 0 : p;
        if (!_cap && (UInt128)LockedVm + charge > _rlimit)
        {
            return Errno.ENOMEM;
        }

        if (!reserved)
        {
            _pins[hpa] = _pins.GetValueOrDefault(hpa) + 1;
        }

        _external[page] = new ExternalPin(hpa, reserved, 1);
        return Errno.None;
    }

    private void DropExternal(ulong page)
    {
        var pin = _external[page];
        if (pin.Count > 1)
        {
            _external[page] = pin with { Count = pin.Count - 1 };
            return;
        }

        _external.Remove(page);
        Undo([new Page(pin.Hpa, pin.Reserved)]);
    }

    /// <summary>A device's <c>dma_unmap(iova, size)</c>: a correct one unpins every reference it holds in the range,
    /// a slow one its lowest page once, a broken one nothing.</summary>
    private void DeviceUnmapCallback(string name, Type1DeviceCallback callback, Dictionary<ulong, int> held, Type1Mapping dma)
    {
        var mine = held.Keys.Where(k => k >= dma.Iova && k < dma.End).Order().ToList();
        if (callback == Type1DeviceCallback.UnpinsAll)
        {
            foreach (ulong page in mine)
            {
                int times = held[page];
                for (int n = 0; n < times; n++)
                {
                    Unpin(name, page, 1);
                }
            }
        }
        else if (callback == Type1DeviceCallback.UnpinsOnePage && mine.Count > 0)
        {
            Unpin(name, mine[0], 1);
        }
    }

    private void Undo(IEnumerable<Page> pages)
    {
        foreach (var page in pages.Where(x => !x.Reserved))
        {
            _pins[page.Hpa]--;
            if (_pins[page.Hpa] == 0)
            {
                _pins.Remove(page.Hpa);
            }
        }
    }

    private readonly record struct Page(ulong Hpa, bool Reserved);

    private readonly record struct ExternalPin(ulong Hpa, bool Reserved, int Count);
}
