using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Qemu.Trace;
using Verify.Vfio;

namespace Verify.Harness.Dma;

/// <summary>
/// What QEMU's trace log shows for our naive vfio listener (docs/semantics.md 2.5): a listener that forwards every
/// callback to a <see cref="NaiveVfioListener"/> and writes the events QEMU's <c>vfio_listener_region_add</c> and
/// <c>_del</c> trace for it, in QEMU's order, plus the error report of every call the container refused. So traces of
/// any generated transaction can be written, read back and replayed, and compared with what the listener did.
/// </summary>
/// <remarks>Host addresses are made up: each region gets its own base (the first region seen at
/// <see cref="FirstHostAddress"/>, each next one 2^36 bytes higher), so that two sections translate alike exactly when
/// they show the same region at running offsets. Not thread-safe.</remarks>
public sealed class QemuTraceRecorder : IMemoryListener
{
    /// <summary>The host address of the first region's offset 0.</summary>
    public const ulong FirstHostAddress = 0x7f00_0000_0000;

    private const ulong RegionSpacing = 1UL << 36;
    private const string ContainerPointer = "0x55d0c0de0000";
    private readonly NaiveVfioListener _listener;
    private readonly DmaOptions _options;
    private readonly List<QemuTraceEvent> _events = [];
    private readonly Dictionary<string, ulong> _bases = new(StringComparer.Ordinal);
    private readonly bool _stamps;
    private ulong _clock;

    /// <summary>Creates a recorder over a listener that has seen nothing yet.</summary>
    /// <param name="listener">The naive listener the callbacks go to (its containers receive the calls).</param>
    /// <param name="options">The listener's section rules.</param>
    /// <param name="stamps">Whether events carry the <c>PID@SECONDS.MICROSECONDS:</c> prefix (1 µs apart).</param>
    public QemuTraceRecorder(NaiveVfioListener listener, DmaOptions options, bool stamps = false)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(options);
        _listener = listener;
        _options = options;
        _stamps = stamps;
    }

    /// <summary>The events written so far, in order.</summary>
    public IReadOnlyList<QemuTraceEvent> Events => _events;

    /// <summary>The host address a region's offset has in the trace.</summary>
    /// <param name="region">A region name.</param>
    /// <param name="offset">An offset in it.</param>
    /// <returns>The host address.</returns>
    public ulong HostAddress(string region, ulong offset)
    {
        if (!_bases.TryGetValue(region, out ulong start))
        {
            _bases[region] = start = FirstHostAddress + (ulong)_bases.Count * RegionSpacing;
        }

        return start + offset;
    }

    /// <inheritdoc/>
    public void Begin() => _listener.Begin();

    /// <inheritdoc/>
    public void Commit() => _listener.Commit();

    /// <inheritdoc/>
    public void RegionNop(in FlatRange range) => _listener.RegionNop(range);

    /// <inheritdoc/>
    public void RegionAdd(in FlatRange range)
    {
        var section = DmaSection.Of(range, _options);
        int calls = _listener.Log.Count;
        switch (section.Skip)
        {
            case SectionSkipReason.NotRam or SectionSkipReason.Protected or SectionSkipReason.Bit63:
                Add(new QemuTraceEvent.RegionSkip("vfio_listener_region_skip", "region_add", range.Range.Start, range.Range.Last));
                break;
            case SectionSkipReason.Iommu:
                Add(new QemuTraceEvent.RegionAddIommu(range.Region, section.Interior!.Value.Start, section.Interior.Value.Last));
                break;
            case SectionSkipReason.RamDeviceUnaligned:
                ulong start = (range.Range.Start + _options.HostPageSize - 1) & ~(_options.HostPageSize - 1);
                ulong last = (ulong)(((UInt128)range.Range.End & ~(UInt128)(_options.HostPageSize - 1)) - 1);
                Add(new QemuTraceEvent.RegionAddRam(start, last, HostAddress(range.Region, range.OffsetInRegion + (start - range.Range.Start))));
                Add(new QemuTraceEvent.RegionAddNoDmaMap(range.Region, start, last - start + 1, _options.IommuMinPageSize));
                break;
            case null when section.Mapping is { } m:
                Add(new QemuTraceEvent.RegionAddRam(m.Iova.Start, m.Iova.Last, HostAddress(m.Region, m.Offset)));
                break;
        }

        _listener.RegionAdd(range);
        Failures(calls);
    }

    /// <inheritdoc/>
    public void RegionDel(in FlatRange range)
    {
        var section = DmaSection.Of(range, _options);
        int calls = _listener.Log.Count;
        if (section.Skip is SectionSkipReason.NotRam or SectionSkipReason.Protected or SectionSkipReason.Bit63)
        {
            Add(new QemuTraceEvent.RegionSkip("vfio_listener_region_skip", "region_del", range.Range.Start, range.Range.Last));
        }

        if (section.Skip == SectionSkipReason.Iommu)
        {
            Add(new QemuTraceEvent.RegionDelIommu(range.Region));
        }

        if (section.Interior is { } interior)
        {
            Add(new QemuTraceEvent.RegionDel(interior.Start, interior.Last));
        }

        _listener.RegionDel(range);
        Failures(calls);
    }

    // The error report QEMU prints for each call the container refused.
    private void Failures(int from)
    {
        for (int i = from; i < _listener.Log.Count; i++)
        {
            var call = _listener.Log[i];
            if (call.Result.Succeeded)
            {
                continue;
            }

            int ret = -(int)call.Result.Error;
            string reason = call.Result.Error.ToString();
            Add(call.Operation switch
            {
                DmaOperation.Map m => new QemuTraceEvent.MapFailed("vfio_container_dma_map", ContainerPointer, m.Mapping.Iova.Start, (ulong)m.Mapping.Iova.Size,
                    HostAddress(m.Mapping.Region, m.Mapping.Offset), ret, reason),
                DmaOperation.Unmap u => new QemuTraceEvent.UnmapFailed("vfio_container_dma_unmap", ContainerPointer, u.Iova.Start, (ulong)u.Iova.Size, ret, reason),
                _ => new QemuTraceEvent.UnmapFailed("vfio_container_dma_unmap", ContainerPointer, 0, 0, ret, reason),
            });
        }
    }

    private void Add(QemuTraceEvent e)
    {
        _clock++;
        _events.Add(_stamps && e is not (QemuTraceEvent.MapFailed or QemuTraceEvent.UnmapFailed)
            ? e with { Stamp = new QemuTraceStamp(4242, 1_700_000_000 + _clock / 1_000_000, (uint)(_clock % 1_000_000)) }
            : e);
    }
}
