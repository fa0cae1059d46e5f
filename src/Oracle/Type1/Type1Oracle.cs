using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;

namespace Verify.Oracle.Type1;

/// <summary>
/// VFIO type1 as SEMANTICS.md 5.1-5.3 states it, page by page: a plain list of mappings, each holding the
/// physical page behind every one of its pages; a dictionary of pin counts keyed by physical page; the
/// charge recounted from scratch. It uses the model's vocabulary (options, flags, runs) and none of its code.
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

    /// <summary><c>locked_vm</c> recounted from scratch: the initial charge plus, per mapping, every non-reserved
    /// page (per-mapping accounting) or every distinct pinned non-reserved page (shared).</summary>
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
    public DmaResult Map(Type1MapFlags flags, ulong iova, ulong vaddr, ulong size)
    {
        const Type1MapFlags readWrite = Type1MapFlags.Read | Type1MapFlags.Write;

        // 1. Flags other than READ|WRITE|VADDR, or neither READ nor WRITE; VADDR itself is not modelled and refused.
        if ((flags & ~(readWrite | Type1MapFlags.Vaddr)) != 0 || (flags & readWrite) == 0 || (flags & Type1MapFlags.Vaddr) != 0)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        // 2. size 0 or anything not aligned to the smallest IOMMU page.
        ulong p = _options.MinPageSize;
        if (size == 0 || iova % p != 0 || vaddr % p != 0 || size % p != 0)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        // 3. The last byte of either range beyond 2^64 - 1.
        UInt128 last = (UInt128)size - 1;
        if (iova + last > ulong.MaxValue || vaddr + last > ulong.MaxValue)
        {
            return DmaResult.Fail(_options.WrapErrno);
        }

        // 4. Any overlap.
        UInt128 end = (UInt128)iova + size;
        if (_mappings.Any(m => m.Iova < end && iova < m.End))
        {
            return DmaResult.Fail(Errno.EEXIST);
        }

        // 5. Slots.
        if (_mappings.Count >= _options.DmaEntryLimit)
        {
            return DmaResult.Fail(Errno.ENOSPC);
        }

        // 6. Inside one valid IOVA range.
        if (!_options.ValidIovaRanges.Any(r => r.Start <= iova && end <= r.End))
        {
            return DmaResult.Fail(Errno.EINVAL);
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
                    return DmaResult.Fail(Errno.EFAULT);
                }

                bool reserved = _reserved.Any(r => r.Contains(hpa));
                ulong charge = reserved ? 0
                    : _options.Accounting == AccountingMode.PerMapping ? p
                    : _pins.GetValueOrDefault(hpa) == 0 ? p : 0;
                if (!_cap && (UInt128)lockedBefore + charged + charge > _rlimit)
                {
                    Undo(pages);
                    return DmaResult.Fail(Errno.ENOMEM);
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
        return DmaResult.Ok(size);
    }

    /// <summary>UNMAP_DMA as SEMANTICS.md 5.2 states it.</summary>
    /// <param name="flags">Flags.</param>
    /// <param name="iova">IOVA.</param>
    /// <param name="size">Bytes.</param>
    /// <returns>The errno and the sum of removed mappings' full sizes.</returns>
    public DmaResult Unmap(Type1UnmapFlags flags, ulong iova, ulong size)
    {
        ulong p = _options.MinPageSize;
        if ((flags & ~Type1UnmapFlags.All) != 0 || iova % p != 0)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        bool all = (flags & Type1UnmapFlags.All) != 0;
        UInt128 start = iova, end;
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
            if (size == 0 || size % p != 0 || (UInt128)iova + size - 1 > ulong.MaxValue)
            {
                return DmaResult.Fail(Errno.EINVAL);
            }

            end = (UInt128)iova + size;
        }

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
                    return DmaResult.Fail(Errno.EINVAL);
                }
            }
        }

        // Remove in ascending order; v1 stops at a mapping that starts before the request.
        UInt128 total = 0;
        while (true)
        {
            int victim = -1;
            for (int i = 0; i < _mappings.Count; i++)
            {
                var m = _mappings[i];
                if (m.Iova < end && start < m.End && (victim < 0 || m.Iova < _mappings[victim].Iova))
                {
                    victim = i;
                }
            }

            if (victim < 0 || _mappings[victim].Iova < start)
            {
                break;
            }

            total += _mappings[victim].Size;
            Undo(_pagesOf[victim]);
            _mappings.RemoveAt(victim);
            _pagesOf.RemoveAt(victim);
        }

        return DmaResult.Ok(total);
    }

    /// <summary>Closing the container: everything unmapped and unpinned.</summary>
    public void Close() => Unmap(Type1UnmapFlags.All, 0, 0);

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
}
