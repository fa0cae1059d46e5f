using System.Collections.Immutable;

namespace Verify.IommuModel.Host;

/// <summary>
/// One host process as VFIO type1 sees it: host virtual ranges backed by host physical ranges, physical
/// ranges that are reserved (another device's BAR: never refcounted, never charged), a pin count per
/// physical byte, and the process's <c>locked_vm</c> checked against <c>RLIMIT_MEMLOCK</c> unless it has
/// <c>CAP_IPC_LOCK</c> (docs/semantics.md 5.3). The host may migrate a page nobody pins to other physical memory
/// (<see cref="Migrate"/>); the physical pages it left are remembered as retired, so a device translation that
/// still reaches one is visible (<see cref="IsRetired"/>).
/// </summary>
/// <remarks>
/// <para>Everything is kept as runs, never per page: pinning 1 TiB of one backed range is a handful of run
/// splits, not 268M page updates. A pin walks the virtual runs the range crosses (O(runs)), and each
/// physical segment updates the pin-count runs it overlaps (O(log n + k), the runs kept in an <see cref="OrderStatisticList{T}"/>).</para>
/// <para>Ends are <see cref="UInt128"/> so a range may reach 2^64. Not thread-safe.</para>
/// </remarks>
public sealed class HostMemory
{
    private readonly List<VirtualRun> _virtual = [];
    private readonly List<PhysicalRange> _reserved = [];
    // An order-statistic tree: pins that leave islands (a shuffled MAP order) stay O(log n + k) per call.
    private readonly OrderStatisticList<PinRun> _pins = new();
    private readonly List<PhysicalRange> _retired = [];

    /// <summary>Bytes charged to this process's <c>locked_vm</c>; never negative.</summary>
    public ulong LockedVm { get; private set; }

    /// <summary><c>RLIMIT_MEMLOCK</c> in bytes; <see cref="ulong.MaxValue"/> means unlimited.</summary>
    public ulong RlimitMemlock { get; set; } = ulong.MaxValue;

    /// <summary>Whether the process has <c>CAP_IPC_LOCK</c> (then the limit is not checked, but pages are still charged).</summary>
    public bool CapIpcLock { get; set; }

    /// <summary>The host virtual ranges and the physical memory behind them, ascending by virtual address.</summary>
    public IReadOnlyList<VirtualRun> VirtualRuns => _virtual;

    /// <summary>The reserved physical ranges (device MMIO), in the order they were added.</summary>
    public IReadOnlyList<PhysicalRange> ReservedRanges => _reserved;

    /// <summary>Physical runs with a non-zero pin count, ascending, disjoint; neighbours with the same count
    /// are merged, so two equal states print the same.</summary>
    public IReadOnlyList<PinRun> PinnedRuns => _pins;

    /// <summary>Physical ranges a migration moved memory away from, oldest first: nothing should reach them any more.</summary>
    public IReadOnlyList<PhysicalRange> RetiredRanges => _retired;

    /// <summary>A deliberate break for demonstrations: <see cref="Migrate"/> moves pinned pages too. False in every
    /// correct model.</summary>
    internal bool MigratesPinnedPages { get; init; }

    /// <summary>Backs <c>[hva, hva + size)</c> with <c>[hpa, hpa + size)</c> (an mmap of RAM, or of a BAR).</summary>
    /// <param name="hva">First host virtual address.</param>
    /// <param name="size">Bytes; non-zero; the range may end at 2^64.</param>
    /// <param name="hpa">First host physical address.</param>
    /// <exception cref="ArgumentOutOfRangeException">An empty, wrapping or overlapping range.</exception>
    public void AddVirtualRange(ulong hva, ulong size, ulong hpa)
    {
        Preconditions.CheckArgumentRange(size > 0 && (UInt128)hva + size <= (UInt128)1 << 64 && (UInt128)hpa + size <= (UInt128)1 << 64,
            size, $"should be a non-zero size that keeps 0x{hva:x} and 0x{hpa:x} below 2^64", nameof(size));
        var run = new VirtualRun(hva, size, hpa);
        int at = 0;
        while (at < _virtual.Count && _virtual[at].Hva < hva)
        {
            at++;
        }

        bool overlapsBefore = at > 0 && _virtual[at - 1].End > hva;
        bool overlapsAfter = at < _virtual.Count && _virtual[at].Hva < run.End;
        Preconditions.CheckArgumentRange(!overlapsBefore && !overlapsAfter, hva,
            $"[0x{hva:x}..0x{run.End:x}) should not overlap an existing virtual range", nameof(hva));
        _virtual.Insert(at, run);
    }

    /// <summary>Marks <c>[hpa, hpa + size)</c> as reserved: pinning it takes no reference and charges nothing.</summary>
    /// <param name="hpa">First physical address.</param>
    /// <param name="size">Bytes; non-zero.</param>
    /// <exception cref="ArgumentOutOfRangeException">An empty or wrapping range.</exception>
    public void AddReservedRange(ulong hpa, ulong size)
    {
        Preconditions.CheckArgumentRange(size > 0 && (UInt128)hpa + size <= (UInt128)1 << 64, size,
            $"should be a non-zero size that keeps 0x{hpa:x} below 2^64", nameof(size));
        _reserved.Add(new PhysicalRange(hpa, size));
    }

    /// <summary>Moves <c>[hva, hva + size)</c> to <c>[newHpa, newHpa + size)</c> as THP compaction or NUMA
    /// balancing does, unless a pin holds it (docs/semantics.md 5.3: that is what pinning is for). The old physical
    /// range becomes retired.</summary>
    /// <param name="hva">First virtual address of the page(s).</param>
    /// <param name="size">Bytes; non-zero.</param>
    /// <param name="newHpa">Where the memory goes: fresh physical memory the caller picks.</param>
    /// <returns><see cref="Errno.None"/>; <see cref="Errno.EFAULT"/> when one virtual run does not back the whole
    /// range; <see cref="Errno.EINVAL"/> for reserved memory (MMIO does not move); <see cref="Errno.EBUSY"/> when
    /// any byte is pinned. A refusal changes nothing.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An empty range, or a <paramref name="newHpa"/> range that
    /// wraps or overlaps memory that backs, backed or is reserved.</exception>
    /// <remarks>Every virtual run mapping the moved physical bytes follows them (the kernel's reverse map).
    /// O(virtual runs + reserved + retired ranges): each run is split in at most three.</remarks>
    public Errno Migrate(ulong hva, ulong size, ulong newHpa)
    {
        Preconditions.CheckArgumentRange(size > 0, size, "should be non-zero", nameof(size));
        var target = new PhysicalRange(newHpa, size);
        Preconditions.CheckArgumentRange(target.End <= (UInt128)1 << 64
            && !_virtual.Any(r => Overlaps(target, new PhysicalRange(r.Hpa, r.Size)))
            && !_reserved.Concat(_retired).Any(r => Overlaps(target, r)),
            newHpa, $"[0x{newHpa:x}..0x{target.End:x}) should be fresh physical memory", nameof(newHpa));
        UInt128 end = (UInt128)hva + size;
        int i = _virtual.FindIndex(r => r.Hva <= hva && end <= r.End);
        if (i < 0)
        {
            return Errno.EFAULT;
        }

        var run = _virtual[i];
        ulong oldHpa = run.Hpa + (hva - run.Hva);
        if (CutAtReserved(oldHpa, size).Any(s => s.Reserved))
        {
            return Errno.EINVAL;
        }

        if (!MigratesPinnedPages && PinnedBytes(oldHpa, size) != 0)
        {
            return Errno.EBUSY;
        }

        // The page moves, not the mapping: every virtual run that maps those physical bytes (an alias of the same
        // memory, as a second mmap of a shared file gives) follows it, as the kernel's reverse map makes it.
        UInt128 oldEnd = (UInt128)oldHpa + size;
        for (int k = _virtual.Count - 1; k >= 0; k--)
        {
            var r = _virtual[k];
            UInt128 from = UInt128.Max(oldHpa, r.Hpa), to = UInt128.Min(oldEnd, (UInt128)r.Hpa + r.Size);
            if (from >= to)
            {
                continue;
            }

            ulong cutHva = r.Hva + (ulong)(from - r.Hpa), cutSize = (ulong)(to - from);
            var pieces = new List<VirtualRun>(3);
            if (cutHva > r.Hva)
            {
                pieces.Add(r with { Size = cutHva - r.Hva });
            }

            pieces.Add(new VirtualRun(cutHva, cutSize, newHpa + (ulong)(from - oldHpa)));
            if ((UInt128)cutHva + cutSize < r.End)
            {
                pieces.Add(new VirtualRun(cutHva + cutSize, (ulong)(r.End - cutHva - cutSize), (ulong)to));
            }

            _virtual.RemoveAt(k);
            _virtual.InsertRange(k, pieces);
        }

        _retired.Add(new PhysicalRange(oldHpa, size));
        return Errno.None;
    }

    /// <summary>Whether a migration moved memory away from the physical byte <paramref name="hpa"/>.</summary>
    /// <param name="hpa">A physical address.</param>
    /// <returns>Whether it lies in a retired range.</returns>
    public bool IsRetired(ulong hpa) => _retired.Any(r => r.Contains(hpa));

    /// <summary>Whether the physical byte <paramref name="hpa"/> is reserved.</summary>
    /// <param name="hpa">A physical address.</param>
    /// <returns>Whether it lies in a reserved range.</returns>
    public bool IsReserved(ulong hpa) => _reserved.Any(r => r.Contains(hpa));

    /// <summary>The pin count of the physical byte <paramref name="hpa"/> (0 for reserved memory).</summary>
    /// <param name="hpa">A physical address.</param>
    /// <returns>The count.</returns>
    public int PinCount(ulong hpa)
    {
        int i = FirstPinEndingAfter(hpa);
        return i < _pins.Count && _pins[i].Hpa <= hpa ? _pins[i].Count : 0;
    }

    /// <summary>The physical segments behind <c>[hva, hva + size)</c>, in virtual order, cut where the
    /// virtual run or the reserved status changes.</summary>
    /// <param name="hva">First virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="segments">The backed prefix, in order.</param>
    /// <returns>Whether the whole range is backed (else the segments stop at the first hole).</returns>
    public bool Resolve(ulong hva, ulong size, out ImmutableArray<HostSegment> segments)
    {
        var builder = ImmutableArray.CreateBuilder<HostSegment>();
        UInt128 position = hva, end = (UInt128)hva + size;
        while (position < end)
        {
            int i = _virtual.FindIndex(r => r.Hva <= position && position < r.End);
            if (i < 0)
            {
                segments = builder.ToImmutable();
                return false;
            }

            var run = _virtual[i];
            UInt128 stop = UInt128.Min(end, run.End);
            ulong pa = run.Hpa + (ulong)(position - run.Hva);
            ulong length = (ulong)(stop - position);
            foreach (var piece in CutAtReserved(pa, length))
            {
                builder.Add(piece with { Hva = (ulong)position + (piece.Hpa - pa) });
            }

            position = stop;
        }

        segments = builder.ToImmutable();
        return true;
    }

    /// <summary>Pins <c>[hva, hva + size)</c> in virtual order and charges it: every byte in
    /// <see cref="AccountingMode.PerMapping"/>, only bytes whose count leaves 0 in <see cref="AccountingMode.Shared"/>;
    /// reserved memory is neither counted nor charged. The first failing page decides the errno: a hole in
    /// the virtual range is <see cref="Errno.EFAULT"/>, a charge past <see cref="RlimitMemlock"/> without
    /// <see cref="CapIpcLock"/> is <see cref="Errno.ENOMEM"/>; a failure undoes every pin and charge of the call.</summary>
    /// <param name="hva">First virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="mode">How to charge.</param>
    /// <param name="pinned">On success, the physical segments pinned (to hand back to <see cref="Unpin(IEnumerable{HostSegment}, AccountingMode)"/>).</param>
    /// <returns><see cref="Errno.None"/>, <see cref="Errno.EFAULT"/> or <see cref="Errno.ENOMEM"/>.</returns>
    public Errno Pin(ulong hva, ulong size, AccountingMode mode, out ImmutableArray<HostSegment> pinned) =>
        Pin(hva, size, mode, charge: true, chargeReserved: false, out pinned);

    /// <summary>As <see cref="Pin(ulong, ulong, AccountingMode, out ImmutableArray{HostSegment})"/>, for a pin that
    /// per-mapping accounting may not charge (an mdev pin in a container with an IOMMU domain, docs/semantics.md 5.4).</summary>
    /// <param name="hva">First virtual address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="mode">How to charge.</param>
    /// <param name="charge">Whether <see cref="AccountingMode.PerMapping"/> charges these pins;
    /// <see cref="AccountingMode.Shared"/> charges a page whenever its count leaves 0, whoever pins it.</param>
    /// <param name="pinned">On success, the physical segments pinned.</param>
    /// <returns><see cref="Errno.None"/>, <see cref="Errno.EFAULT"/> or <see cref="Errno.ENOMEM"/>.</returns>
    public Errno Pin(ulong hva, ulong size, AccountingMode mode, bool charge, out ImmutableArray<HostSegment> pinned) =>
        Pin(hva, size, mode, charge, chargeReserved: false, out pinned);

    /// <summary>The pin, with the deliberate break <paramref name="chargeReserved"/> (reserved pfns charged as RAM).</summary>
    internal Errno Pin(ulong hva, ulong size, AccountingMode mode, bool charge, bool chargeReserved, out ImmutableArray<HostSegment> pinned)
    {
        bool backed = Resolve(hva, size, out var segments);
        var done = new List<HostSegment>();
        ulong charged = 0;
        Errno error = Errno.None;
        foreach (var segment in segments)
        {
            ulong bytes = Charge(segment, mode, charge, chargeReserved);
            if (!CapIpcLock && (UInt128)LockedVm + bytes > RlimitMemlock)
            {
                error = Errno.ENOMEM;
                break;
            }

            if (!segment.Reserved)
            {
                AddPins(segment.Hpa, segment.Size, +1);
            }

            LockedVm += bytes;
            charged += bytes;
            done.Add(segment);
        }

        if (error == Errno.None && !backed)
        {
            error = Errno.EFAULT;
        }

        if (error != Errno.None)
        {
            // The kernel unwinds a failed vfio_pin_map_dma completely: the caller sees no pin and no charge.
            foreach (var segment in done.Where(s => !s.Reserved))
            {
                AddPins(segment.Hpa, segment.Size, -1);
            }

            LockedVm -= charged;
            pinned = [];
            return error;
        }

        pinned = segments;
        return Errno.None;
    }

    /// <summary>Unpins segments a successful <see cref="Pin(ulong, ulong, AccountingMode, out ImmutableArray{HostSegment})"/> returned and uncharges them the same way.</summary>
    /// <param name="segments">The pinned segments.</param>
    /// <param name="mode">The mode they were charged in.</param>
    public void Unpin(IEnumerable<HostSegment> segments, AccountingMode mode) => Unpin(segments, mode, charge: true, chargeReserved: false);

    /// <summary>Unpins segments a successful <see cref="Pin(ulong, ulong, AccountingMode, bool, out ImmutableArray{HostSegment})"/>
    /// returned, uncharging them as they were charged.</summary>
    /// <param name="segments">The pinned segments.</param>
    /// <param name="mode">The mode they were charged in.</param>
    /// <param name="charge">Whether they were charged per mapping.</param>
    public void Unpin(IEnumerable<HostSegment> segments, AccountingMode mode, bool charge) => Unpin(segments, mode, charge, chargeReserved: false);

    /// <summary>The unpin, with the deliberate break <paramref name="chargeReserved"/>.</summary>
    internal void Unpin(IEnumerable<HostSegment> segments, AccountingMode mode, bool charge, bool chargeReserved)
    {
        ArgumentNullException.ThrowIfNull(segments);
        foreach (var segment in segments)
        {
            if (!segment.Reserved)
            {
                AddPins(segment.Hpa, segment.Size, -1);
            }

            ulong uncharge = Charge(segment, mode, charge, chargeReserved);
            Preconditions.CheckState(uncharge <= LockedVm, $"unpinning {segment} would make locked_vm negative");
            LockedVm -= uncharge;
        }
    }

    /// <summary>Bytes a segment's pin charges (called before its count rises) or its unpin returns (called after its
    /// count dropped): reserved memory nothing, per mapping everything, shared the bytes nobody else pins.</summary>
    private ulong Charge(HostSegment segment, AccountingMode mode, bool charge, bool chargeReserved)
    {
        if (segment.Reserved)
        {
            return chargeReserved && (charge || mode == AccountingMode.Shared) ? segment.Size : 0;
        }

        return mode == AccountingMode.Shared ? segment.Size - PinnedBytes(segment.Hpa, segment.Size)
            : charge ? segment.Size : 0;
    }

    private static bool Overlaps(PhysicalRange a, PhysicalRange b) => a.Hpa < b.End && b.Hpa < a.End;

    private IEnumerable<HostSegment> CutAtReserved(ulong pa, ulong length)
    {
        UInt128 position = pa, end = (UInt128)pa + length;
        while (position < end)
        {
            ulong p = (ulong)position;
            var inside = _reserved.FirstOrDefault(r => r.Contains(p));
            UInt128 stop;
            bool reserved = inside.Size != 0;
            if (reserved)
            {
                stop = UInt128.Min(end, inside.End);
            }
            else
            {
                stop = end;
                foreach (var r in _reserved)
                {
                    if (r.Hpa > p && r.Hpa < stop)
                    {
                        stop = r.Hpa;
                    }
                }
            }

            yield return new HostSegment(0, p, (ulong)(stop - position), reserved);
            position = stop;
        }
    }

    /// <summary>Bytes of <c>[hpa, hpa + size)</c> with a non-zero pin count.</summary>
    private ulong PinnedBytes(ulong hpa, ulong size)
    {
        UInt128 end = (UInt128)hpa + size;
        ulong total = 0;
        foreach (var run in _pins.EnumerateFrom(FirstPinEndingAfter(hpa)))
        {
            if (run.Hpa >= end)
            {
                break;
            }

            UInt128 from = UInt128.Max(hpa, run.Hpa), to = UInt128.Min(end, run.End);
            total += (ulong)(to - from);
        }

        return total;
    }

    /// <summary>Adds <paramref name="delta"/> to the count of every byte of the range, splitting runs at its
    /// ends, dropping runs that reach 0 and merging equal neighbours. O(log n + k) for the k runs it meets: they and
    /// one neighbour on each side are read once, rewritten as a list, and put back in one replacement.</summary>
    /// <exception cref="InvalidOperationException">An unpin meets a byte nobody pins (nothing is changed).</exception>
    private void AddPins(ulong hpa, ulong size, int delta)
    {
        UInt128 end = (UInt128)hpa + size;
        int first = FirstPinEndingAfter(hpa);

        // The run before and the run after join the window, so a run the change makes equal to them merges. The
        // runs were merged before the call, so neither neighbour can merge with a piece of a run split at an end.
        int from = first > 0 ? first - 1 : first;
        var window = new List<PinRun>();
        foreach (var run in _pins.EnumerateFrom(from))
        {
            window.Add(run);
            if (run.Hpa >= end)
            {
                break;
            }
        }

        var updated = new List<PinRun>(window.Count + 4);
        UInt128 position = hpa;
        foreach (var run in window)
        {
            if (run.Hpa >= end)
            {
                break;
            }

            if (run.End <= hpa)
            {
                updated.Add(run);
                continue;
            }

            AddGap(updated, hpa, end, position, run.Hpa, delta);
            if (run.Hpa < hpa)
            {
                updated.Add(run with { Size = hpa - run.Hpa });
            }

            UInt128 low = UInt128.Max(run.Hpa, hpa), high = UInt128.Min(run.End, end);
            int count = run.Count + delta;
            if (count > 0)
            {
                updated.Add(new PinRun((ulong)low, (ulong)(high - low), count));
            }

            if (run.End > end)
            {
                updated.Add(new PinRun((ulong)end, (ulong)(run.End - end), run.Count));
            }

            position = high;
        }

        AddGap(updated, hpa, end, position, end, delta);
        if (window.Count > 0 && window[^1].Hpa >= end)
        {
            updated.Add(window[^1]);
        }

        _pins.ReplaceRange(from, window.Count, MergeNeighbours(updated));
    }

    /// <summary>The bytes <c>[position, next)</c> of the range <c>[hpa, end)</c> that no run covers become a run of
    /// count <paramref name="delta"/>; only a pin may meet them.</summary>
    private static void AddGap(List<PinRun> updated, ulong hpa, UInt128 end, UInt128 position, UInt128 next, int delta)
    {
        if (next > position)
        {
            Preconditions.CheckState(delta > 0, $"unpinning [0x{hpa:x}..0x{end:x}) meets an unpinned gap at 0x{position:x}");
            updated.Add(new PinRun((ulong)position, (ulong)(next - position), delta));
        }
    }

    /// <summary>The runs, ascending, with touching neighbours of the same count joined.</summary>
    private static List<PinRun> MergeNeighbours(List<PinRun> runs)
    {
        var merged = new List<PinRun>(runs.Count);
        foreach (var run in runs)
        {
            if (merged.Count > 0 && merged[^1].End == run.Hpa && merged[^1].Count == run.Count)
            {
                merged[^1] = merged[^1] with { Size = merged[^1].Size + run.Size };
            }
            else
            {
                merged.Add(run);
            }
        }

        return merged;
    }

    /// <summary>The index of the first pin run ending after <paramref name="address"/> (Count when none). O(log n).</summary>
    private int FirstPinEndingAfter(ulong address) => _pins.FirstIndexWhere(address, static (r, a) => r.End > a);
}
