using System.Runtime.InteropServices;

namespace Verify.Vfio;

/// <summary>
/// A sorted set of live mappings under type1 v2's MAP and UNMAP rules (docs/semantics.md 5.1 and 5.2, without pinning or
/// alignment), or in-place cutting when <see cref="DmaBackendTraits.UnmapMayBisect"/> is set: what a coalescing
/// listener's history and a plan's measurement run on. The split-capable backend model of IommuModel wraps it.
/// </summary>
/// <remarks>The mappings are a sorted array searched by binary search: every call costs O(log n + k) comparisons
/// for k mappings touched (plus the array move of an insert or removal). Ends and sizes are <see cref="UInt128"/>,
/// so a mapping may end at 2^64. Not thread-safe.</remarks>
internal sealed class MappingSet : IDmaBackend
{
    private readonly List<DmaMapping> _mappings = [];
    private readonly List<ApiCall> _calls = [];
    private readonly bool _record;

    /// <summary>Creates an empty container.</summary>
    /// <param name="name">Name for reports.</param>
    /// <param name="traits">What it allows.</param>
    internal MappingSet(string name, DmaBackendTraits traits)
        : this(name, traits, record: true)
    {
    }

    private MappingSet(string name, DmaBackendTraits traits, bool record)
    {
        Name = Preconditions.CheckNotNull(name, nameof(name));
        Traits = Preconditions.CheckNotNull(traits, nameof(traits));
        _record = record;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public DmaBackendTraits Traits { get; }

    /// <inheritdoc/>
    public IReadOnlyList<DmaMapping> Mappings => _mappings;

    /// <summary>Every call with its result, oldest first.</summary>
    public IReadOnlyList<ApiCall> Calls => _calls;

    /// <summary>A container already holding <paramref name="live"/> (ascending, disjoint), recording no calls:
    /// the simulator that plan measurement and listener histories run on.</summary>
    internal static MappingSet Simulator(DmaBackendTraits traits, IReadOnlyList<DmaMapping> live)
    {
        var backend = new MappingSet("simulation", traits, record: false);
        backend._mappings.Capacity = live.Count;
        for (int i = 0; i < live.Count; i++)
        {
            backend._mappings.Add(live[i]);
        }

        return backend;
    }

    /// <inheritdoc/>
    public DmaResult Map(in DmaMapping mapping) => Record(new DmaOperation.Map(mapping), MapCore(mapping));

    /// <inheritdoc/>
    public DmaResult Unmap(AddressRange iova) => Record(new DmaOperation.Unmap(iova), UnmapCore(iova, null));

    /// <inheritdoc/>
    public DmaResult UnmapAll() => Record(new DmaOperation.UnmapAll(), UnmapAllCore(null));

    /// <summary>Applies one operation, reporting every removed piece to <paramref name="removed"/>.</summary>
    internal DmaResult Apply(DmaOperation operation, List<DmaMapping>? removed) => operation switch
    {
        DmaOperation.Map m => Record(operation, MapCore(m.Mapping)),
        DmaOperation.Unmap u => Record(operation, UnmapCore(u.Iova, removed)),
        _ => Record(operation, UnmapAllCore(removed)),
    };

    /// <summary>
    /// Applies <paramref name="operations"/> in order, as many <see cref="Apply"/> calls would, but without moving the
    /// whole array once per operation: operations whose ranges, widened to the mappings they overlap, are disjoint
    /// commute, so each cluster of overlapping ones runs in order on a small simulator of just the mappings it
    /// touches, and the array is rebuilt once. O(n + m log m + the clusters' own work) for m operations, which keeps
    /// a listener's history of a million mappings cheap to bring up to date after a 1% change.
    /// </summary>
    /// <remarks>Only for a simulator with no entry limit (a refusal for want of slots would depend on operations
    /// elsewhere in the array); anything else, or an unmap-all, is applied one by one.</remarks>
    internal void ApplyAll(IReadOnlyList<DmaOperation> operations)
    {
        if (_record || Traits.EntryLimit != int.MaxValue || operations.Count < 2 || operations.Any(o => o is DmaOperation.UnmapAll))
        {
            foreach (var operation in operations)
            {
                Apply(operation, null);
            }

            return;
        }

        var reach = new (UInt128 Start, UInt128 End, int Index)[operations.Count];
        for (int i = 0; i < operations.Count; i++)
        {
            var range = operations[i] is DmaOperation.Map m ? m.Mapping.Iova : ((DmaOperation.Unmap)operations[i]).Iova;
            UInt128 start = range.Start, end = range.End;
            int first = FirstEndingAfter(range.Start);
            int stop = FirstStartingAtOrAfter(range.End, first);
            if (!range.IsEmpty && first < stop)
            {
                start = UInt128.Min(start, _mappings[first].Iova.Start);
                end = UInt128.Max(end, _mappings[stop - 1].Iova.End);
            }

            reach[i] = (start, end, i);
        }

        Array.Sort(reach, static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Index.CompareTo(b.Index));
        var rebuilt = new List<DmaMapping>(_mappings.Count + operations.Count);
        var cluster = new List<int>();
        int copied = 0;
        for (int c = 0; c < reach.Length;)
        {
            UInt128 clusterStart = reach[c].Start, clusterEnd = reach[c].End;
            cluster.Clear();
            while (c < reach.Length && (cluster.Count == 0 || reach[c].Start < clusterEnd))
            {
                clusterEnd = UInt128.Max(clusterEnd, reach[c].End);
                cluster.Add(reach[c].Index);
                c++;
            }

            // Every mapping an operation of the cluster overlaps lies wholly inside the cluster (its reach was
            // widened to it), and no other mapping overlaps the cluster.
            int first = clusterStart > ulong.MaxValue ? _mappings.Count : FirstEndingAfter((ulong)clusterStart);
            int stop = Math.Max(first, FirstStartingAtOrAfter(clusterEnd, first));
            for (int k = copied; k < first; k++)
            {
                rebuilt.Add(_mappings[k]);
            }

            var local = new MappingSet(Name, Traits, record: false);
            local._mappings.AddRange(_mappings.GetRange(first, stop - first));
            cluster.Sort();
            foreach (int index in cluster)
            {
                local.Apply(operations[index], null);
            }

            rebuilt.AddRange(local._mappings);
            copied = Math.Max(copied, stop);
        }

        for (int k = copied; k < _mappings.Count; k++)
        {
            rebuilt.Add(_mappings[k]);
        }

        _mappings.Clear();
        _mappings.AddRange(rebuilt);
    }

    private DmaResult Record(DmaOperation operation, DmaResult result)
    {
        if (_record)
        {
            _calls.Add(new ApiCall(operation, result));
        }

        return result;
    }

    private DmaResult MapCore(in DmaMapping mapping)
    {
        if (mapping.Iova.IsEmpty)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        int i = FirstEndingAfter(mapping.Iova.Start);
        if (i < _mappings.Count && _mappings[i].Iova.Start < mapping.Iova.End)
        {
            return DmaResult.Fail(Errno.EEXIST);
        }

        // Overlap is checked before the slot count, in the kernel's order.
        if (_mappings.Count >= Traits.EntryLimit)
        {
            return DmaResult.Fail(Errno.ENOSPC);
        }

        _mappings.Insert(i, mapping);
        return DmaResult.Ok(mapping.Iova.Size);
    }

    private DmaResult UnmapCore(AddressRange range, List<DmaMapping>? removed)
    {
        if (range.IsEmpty)
        {
            return DmaResult.Ok(0);
        }

        int first = FirstEndingAfter(range.Start);
        int end = FirstStartingAtOrAfter(range.End, first);
        if (first >= end)
        {
            return DmaResult.Ok(0);
        }

        var head = _mappings[first];
        var tail = _mappings[end - 1];
        bool cutsHead = head.Iova.Start < range.Start;
        bool cutsTail = tail.Iova.End > range.End;
        if (!Traits.UnmapMayBisect)
        {
            // type1 v2 checks both ends before removing anything, so a refused call changes nothing.
            if (cutsHead || cutsTail)
            {
                return DmaResult.Fail(Errno.EINVAL);
            }

            UInt128 total = 0;
            for (int k = first; k < end; k++)
            {
                total += _mappings[k].Iova.Size;
                removed?.Add(_mappings[k]);
            }

            _mappings.RemoveRange(first, end - first);
            return DmaResult.Ok(total);
        }

        UInt128 cut = 0;
        for (int k = first; k < end; k++)
        {
            var part = _mappings[k].Iova.Intersect(range);
            cut += part.Size;
            removed?.Add(_mappings[k].Clip(part));
        }

        _mappings.RemoveRange(first, end - first);
        int at = first;
        if (cutsHead)
        {
            _mappings.Insert(at++, head.Clip(AddressRange.FromBounds(head.Iova.Start, range.Start)));
        }

        if (cutsTail)
        {
            _mappings.Insert(at, tail.Clip(AddressRange.FromBounds((ulong)range.End, tail.Iova.End)));
        }

        return DmaResult.Ok(cut);
    }

    private DmaResult UnmapAllCore(List<DmaMapping>? removed)
    {
        UInt128 total = 0;
        foreach (var m in _mappings)
        {
            total += m.Iova.Size;
        }

        removed?.AddRange(_mappings);
        _mappings.Clear();
        return DmaResult.Ok(total);
    }

    private int FirstEndingAfter(ulong address) => SortedRanges.FirstEndingAfter(CollectionsMarshal.AsSpan(_mappings), address);

    private int FirstStartingAtOrAfter(UInt128 address, int from)
    {
        int lo = from, hi = _mappings.Count;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (_mappings[mid].Iova.Start < address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {_mappings.Count} mappings";
}
