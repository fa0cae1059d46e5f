using System.Collections.Immutable;
using Verify.IommuModel.Backends;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Qemu.Trace;
using Verify.Vfio;

namespace Verify.Harness.Dma;

/// <summary>
/// A QEMU trace log replayed against our models (docs/semantics.md 2.5): the container's ioctls rebuilt from the vfio
/// listener's events (or taken from the iommufd backend's), each replayed into the type1 model to compare the
/// kernel's answer with the trace's; every DMA window the log shows (a range unmapped and mapped back to the same host
/// address within one burst); and what the coalescing planner would issue for the same region events.
/// </summary>
/// <remarks>
/// A burst is what QEMU does for one memory transaction: its deletes, then its adds (QEMU's topology update runs a
/// delete pass, then an add pass), so a delete after an add starts the next burst. The trace carries host addresses,
/// not regions, so the planner sees each section as RAM at its host address: two sections whose host addresses run on
/// translate alike, as they do for the kernel.
/// </remarks>
public sealed class TraceReplay
{
    private const string HostRegion = "hva";

    private TraceReplay(string backend, ImmutableArray<TraceCall> calls, ImmutableArray<TraceWindow> windows, ImmutableArray<TraceBurst> bursts, ImmutableArray<string> notes)
    {
        Backend = backend;
        Calls = calls;
        Windows = windows;
        Bursts = bursts;
        Notes = notes;
    }

    /// <summary>What the calls were replayed into: <c>type1 v2</c>, <c>type1 v1</c>, or <c>iommufd</c> (not compared yet).</summary>
    public string Backend { get; }

    /// <summary>Every ioctl the log shows, in order.</summary>
    public ImmutableArray<TraceCall> Calls { get; }

    /// <summary>The calls whose modelled result differs from the trace's.</summary>
    public ImmutableArray<TraceCall> Mismatches => [.. Calls.Where(c => c.Differs)];

    /// <summary>Every DMA window: IOVA unmapped and mapped back to the same host address in one burst.</summary>
    public ImmutableArray<TraceWindow> Windows { get; }

    /// <summary>The bursts, each with what QEMU did and what the coalescing planner would do.</summary>
    public ImmutableArray<TraceBurst> Bursts { get; }

    /// <summary>What the replay could not know or had to assume, one line each.</summary>
    public ImmutableArray<string> Notes { get; }

    /// <summary>Replays a log.</summary>
    /// <param name="log">The log.</param>
    /// <param name="version">The type1 variant the calls are replayed into (ignored for an iommufd log).</param>
    /// <param name="hostPageSize">The host page size (the planner's, and the unit of collateral pages).</param>
    /// <returns>The replay.</returns>
    public static TraceReplay Of(QemuTraceLog log, Type1Version version = Type1Version.V2, ulong hostPageSize = 0x1000)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new Replayer(log, version, hostPageSize).Run();
    }

    private sealed class Replayer
    {
        private readonly QemuTraceLog _log;
        private readonly ulong _page;
        private readonly Type1Container? _type1;
        private readonly bool _iommufd;
        private readonly List<TraceCall> _calls = [];
        private readonly List<TraceWindow> _windows = [];
        private readonly List<TraceBurst> _bursts = [];
        private readonly List<string> _notes = [];
        private readonly SortedDictionary<ulong, (UInt128 End, ulong Vaddr, bool Writable)> _live = [];
        private readonly List<(AddressRange Iova, ulong Vaddr, bool Writable, int Call, int Line, QemuTraceStamp? Stamp)> _unmapped = [];
        private readonly CoalescingListener _planner;
        private readonly MappingSetBackend _planned;
        private readonly Dictionary<ulong, FlatRange> _plannerView = [];
        private readonly List<FlatRange> _dels = [], _adds = [];
        private int _burst, _burstFirstLine, _burstFirstCall, _unknownDels, _unplannedAdds;
        private bool _adding;

        public Replayer(QemuTraceLog log, Type1Version version, ulong page)
        {
            _log = log;
            _page = page;
            _iommufd = log.UsesIommufd;
            var options = DmaOptions.Default with { HostPageSize = page };
            _planner = new CoalescingListener(options, PlanOptions.Default);
            _planned = new MappingSetBackend("planner", DmaBackendTraits.Type1);
            _planner.AddContainer(_planned);
            if (!_iommufd)
            {
                var host = new HostMemory();
                ulong hpa = 1UL << 40;
                foreach (var run in HostRuns(log))
                {
                    host.AddVirtualRange(run.Start, (ulong)run.Size, hpa);
                    hpa += (ulong)run.Size;
                }

                var type1 = Type1Options.Default with { Version = version, ValidIovaRanges = [new AddressRange(0, AddressSpace.End)] };
                _type1 = new Type1Container("trace", type1, host, RamBlocks.Empty, [PageTableOptions.Default]);
            }
        }

        public TraceReplay Run()
        {
            var events = _log.Events;
            for (int i = 0; i < events.Length; i++)
            {
                var next = i + 1 < events.Length ? events[i + 1] : null;
                switch (events[i])
                {
                    case QemuTraceEvent.RegionAddRam add:
                        Phase(adding: true, add.Line);
                        if (next is QemuTraceEvent.RegionAddNoDmaMap { } skip && skip.Iova == add.Iova)
                        {
                            break;
                        }

                        var section = new FlatRange(Range(add.Iova, add.Last), HostRegion, RegionKind.Ram, add.Vaddr);
                        if ((UInt128)add.Vaddr + section.Range.Size <= AddressSpace.End)
                        {
                            _adds.Add(section);
                        }
                        else
                        {
                            // No host range passes 2^64; the planner, which plans views of host memory, leaves it out.
                            _unplannedAdds++;
                        }

                        if (!_iommufd)
                        {
                            var failed = next as QemuTraceEvent.MapFailed is { } f && f.Iova == add.Iova ? f : null;
                            Map(add, section.Range, add.Vaddr, writable: true, failed is null ? Errno.None : ErrnoOf(failed.Return));
                        }

                        break;
                    case QemuTraceEvent.RegionDel del:
                        Phase(adding: false, del.Line);
                        if (_plannerView.Remove(del.Iova, out var deleted))
                        {
                            _dels.Add(deleted);
                        }
                        else
                        {
                            _unknownDels++;
                        }

                        if (!_iommufd)
                        {
                            var failed = next as QemuTraceEvent.UnmapFailed is { } f && f.Iova == del.Iova ? f : null;
                            var workaround = next is QemuTraceEvent.UnmapOverflowWorkaround;
                            Unmap(del, Range(del.Iova, del.Last), failed is null && !workaround ? Errno.None : failed is null ? Errno.EINVAL : ErrnoOf(failed.Return));
                            if (workaround)
                            {
                                // QEMU retries without the last page of the space, which it never mapped.
                                var shorter = new AddressRange(del.Iova, Range(del.Iova, del.Last).Size - _page);
                                Unmap(next!, shorter, Errno.None);
                            }
                        }

                        break;
                    case QemuTraceEvent.RegionAddIommu add:
                        Phase(adding: true, add.Line);
                        break;
                    case QemuTraceEvent.RegionDelIommu del:
                        Phase(adding: false, del.Line);
                        break;
                    case QemuTraceEvent.IommufdMap map:
                        Phase(adding: true, map.Line);
                        Map(map, new AddressRange(map.Iova, map.Size), map.Vaddr ?? map.FileStart ?? 0, !map.ReadOnly, IommufdResult(map.Return));
                        break;
                    case QemuTraceEvent.IommufdUnmap unmap:
                        Phase(adding: false, unmap.Line);
                        var all = unmap.Iova == 0 && unmap.Size is 0 or ulong.MaxValue;
                        // QEMU treats a non-existent mapping (ENOENT) as done, and traces it so.
                        Unmap(unmap, all ? new AddressRange(0, AddressSpace.End) : new AddressRange(unmap.Iova, unmap.Size),
                            unmap.Name == "iommufd_backend_unmap_dma_non_exist" ? Errno.ENOENT : IommufdResult(unmap.Return));
                        break;
                }
            }

            EndBurst(_log.Events.IsEmpty ? 0 : _log.Events[^1].Line);
            if (_unknownDels > 0)
            {
                _notes.Add($"{_unknownDels} region_del of sections added before the log starts: the planner did not see them, and their host addresses are unknown");
            }

            if (_unplannedAdds > 0)
            {
                _notes.Add($"{_unplannedAdds} region_add over a section still live or with a host range past 2^64: no memory map holds them, so the planner left them out");
            }

            if (_iommufd)
            {
                _notes.Add("iommufd calls are not compared with a model yet (no iommufd model); windows and the planner's figures are computed");
            }

            return new TraceReplay(_type1 is null ? "iommufd" : $"type1 {(_type1.Options.Version == Type1Version.V1 ? "v1" : "v2")}",
                [.. _calls], [.. _windows], [.. _bursts], [.. _notes]);
        }

        private void Phase(bool adding, int line)
        {
            if (!adding && _adding)
            {
                EndBurst(line);
            }

            if (_burstFirstLine == 0)
            {
                _burstFirstLine = line;
            }

            _adding = adding;
        }

        private void EndBurst(int line)
        {
            if (_burstFirstLine == 0)
            {
                return;
            }

            _planner.Begin();
            foreach (var d in _dels)
            {
                _planner.RegionDel(d);
            }

            foreach (var a in _adds)
            {
                // A trace may add over a live section (the kernel then says EEXIST); no view holds both, so the
                // planner, which plans views, leaves such an add out.
                if (_plannerView.Values.Any(v => v.Range.Overlaps(a.Range)))
                {
                    _unplannedAdds++;
                    continue;
                }

                _plannerView[a.Range.Start] = a;
                _planner.RegionAdd(a);
            }

            _planner.Commit();
            var plan = _planner.LastPlans.GetValueOrDefault(_planned) ?? DmaPlan.Empty;
            var calls = _calls.Skip(_burstFirstCall).ToList();
            var windows = _windows.Where(w => w.Burst == _burst).ToList();
            _bursts.Add(new TraceBurst(_burst, _burstFirstLine, calls.Count == 0 ? _burstFirstLine : Math.Max(calls[^1].Line, _burstFirstLine),
                calls.Count, windows.Aggregate(UInt128.Zero, (sum, w) => sum + w.Iova.Size), plan));
            _dels.Clear();
            _adds.Clear();
            _unmapped.Clear();
            _burst++;
            _burstFirstLine = 0;
            _burstFirstCall = _calls.Count;
            _adding = false;
        }

        private void Map(QemuTraceEvent e, AddressRange iova, ulong vaddr, bool writable, Errno? traced)
        {
            var op = new DmaOperation.Map(new DmaMapping(iova, HostRegion, vaddr, writable));
            Errno? modelled = _type1?.MapDma(writable ? Type1MapFlags.Read | Type1MapFlags.Write : Type1MapFlags.Read, iova.Start, vaddr, (ulong)iova.Size).Error;
            _calls.Add(new TraceCall(e.Line, _burst, op, traced, modelled));
            if (traced != Errno.None)
            {
                return;
            }

            _live[iova.Start] = (iova.End, vaddr, writable);
            for (int i = 0; i < _unmapped.Count; i++)
            {
                var gone = _unmapped[i];
                if (gone.Iova.Intersect(iova) is not { IsEmpty: false } both || gone.Writable != writable
                    || gone.Vaddr + (both.Start - gone.Iova.Start) != vaddr + (both.Start - iova.Start))
                {
                    continue;
                }

                UInt128? micros = gone.Stamp is { } from && e.Stamp is { } to ? to.TotalMicroseconds - from.TotalMicroseconds : null;
                _windows.Add(new TraceWindow(_burst, both, vaddr + (both.Start - iova.Start), gone.Line, e.Line, _calls.Count - 1 - gone.Call, micros));
                _unmapped.RemoveAt(i);
                foreach (var rest in Outside(gone.Iova, both))
                {
                    _unmapped.Insert(i++, (rest, gone.Vaddr + (rest.Start - gone.Iova.Start), gone.Writable, gone.Call, gone.Line, gone.Stamp));
                }

                i--;
            }
        }

        private void Unmap(QemuTraceEvent e, AddressRange iova, Errno? traced)
        {
            DmaOperation op = iova.Size == AddressSpace.End ? new DmaOperation.UnmapAll() : new DmaOperation.Unmap(iova);
            Errno? modelled = _type1 is null ? null
                : op is DmaOperation.UnmapAll ? _type1.UnmapAll().Error : _type1.Unmap(iova).Error;
            _calls.Add(new TraceCall(e.Line, _burst, op, traced, modelled));
            if (traced != Errno.None && traced != Errno.ENOENT)
            {
                return;
            }

            foreach (var (start, (end, vaddr, writable)) in _live.ToList())
            {
                var mapping = AddressRange.FromBounds(start, end);
                if (mapping.Intersect(iova) is { IsEmpty: false } both)
                {
                    _live.Remove(start);
                    _unmapped.Add((both, vaddr + (both.Start - start), writable, _calls.Count - 1, e.Line, e.Stamp));
                }
            }
        }

        // What is left of a range once a part of it is taken: the piece below and the piece above.
        private static IEnumerable<AddressRange> Outside(AddressRange whole, AddressRange part)
        {
            if (part.Start > whole.Start)
            {
                yield return AddressRange.FromBounds(whole.Start, part.Start);
            }

            if (part.End < whole.End)
            {
                yield return AddressRange.FromBounds((ulong)part.End, whole.End);
            }
        }

        private static AddressRange Range(ulong iova, ulong last) => AddressRange.FromBounds(iova, (UInt128)last + 1);

        private static Errno ErrnoOf(int ret) => ret == 0 ? Errno.None : (Errno)(-ret);

        // The iommufd events print ioctl()'s own return: 0, or -1 with the errno left unsaid.
        private static Errno? IommufdResult(int ret) => ret == 0 ? Errno.None : ret < -1 ? (Errno)(-ret) : null;

        // The host address runs the log maps, merged, so that the type1 model can pin them.
        private static List<AddressRange> HostRuns(QemuTraceLog log)
        {
            // A section whose host range would pass 2^64 (only a generated trace has one) stays unpinnable: the
            // model refuses its MAP as the kernel's wrap check does.
            var ranges = log.Events.OfType<QemuTraceEvent.RegionAddRam>()
                .Where(a => a.Vaddr != 0 && (UInt128)a.Vaddr + Range(a.Iova, a.Last).Size <= AddressSpace.End)
                .Select(a => new AddressRange(a.Vaddr, Range(a.Iova, a.Last).Size))
                .OrderBy(r => r.Start).ToList();
            var runs = new List<AddressRange>();
            foreach (var r in ranges)
            {
                if (runs.Count > 0 && r.Start <= runs[^1].End)
                {
                    runs[^1] = AddressRange.FromBounds(runs[^1].Start, UInt128.Max(runs[^1].End, r.End));
                }
                else
                {
                    runs.Add(r);
                }
            }

            return runs;
        }
    }
}
