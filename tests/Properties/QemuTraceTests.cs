using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Dma;
using Verify.Harness.Generators.Dma;
using Verify.IommuModel.Backends;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Oracle.Dma;
using Verify.Qemu;
using Verify.Qemu.Trace;
using Verify.Vfio;

namespace Verify.Properties;

/// <summary>
/// QEMU trace logs: the reader takes what QEMU prints (every version's event names, with or without prefixes, error
/// reports, noise), the writer prints what the reader takes, and a trace of our naive listener replays to what the
/// listener did: the windows it shows are the collateral the oracle measures, transaction by transaction.
/// </summary>
public class QemuTraceTests
{
    private const string RealShapes = """
        qemu-system-x86_64 -M q35 -device vfio-pci,host=0000:01:00.0 -trace vfio_listener*
        2893@1700000000.000100:vfio_listener_region_add_ram region_add [ram] 0x0 - 0x9ffff [0x7f3a40000000]
        vfio_listener_region_add_ram region_add [ram] 0xc0000 - 0xbffffff [0x7f3a400c0000]
        2893@1700000000.000200:vfio_listener_region_skip SKIPPING region_add 0xfec00000 - 0xfec00fff
        vfio_listener_region_add_skip SKIPPING region_add 0xfed00000 - 0xfed003ff
        vfio_listener_region_add_iommu region_add [iommu] vtd-00.0-dmar 0x0 - 0xffffffffffffffff
        vfio_listener_region_add_iommu region_add [iommu] 0x0 - 0xffffffffffffffff
        vfio_listener_region_add_no_dma_map Region "0000:01:00.0 BAR 2 mmaps[0]" 0xfe001000 size=0x800 is not aligned to 0x1000 and cannot be mapped for DMA
        vfio_region_mmap Region 0000:01:00.0 BAR 0 mmaps[0] [0x0 - 0xffffff]
        2024-03-01T10:00:00.123456Z qemu-system-x86_64: vfio_dma_map(0x55d6e1c3b540, 0xc0000, 0x20000, 0x7f3a400c0000) = -17 (File exists)
        qemu-system-x86_64: vfio_container_dma_unmap(0x55d6e1c3b540, 0xfe000000, 0x1000) = -22 (Invalid argument)
        vfio_listener_region_del_iommu region_del [iommu] vtd-00.0-dmar
        vfio_listener_region_del region_del 0x0 - 0xffffffffffffffff
        vfio_listener_region_del_skip SKIPPING region_del 0xfec00000 - 0xfec00fff
        vfio_dma_unmap_overflow_workaround
        vfio_legacy_dma_unmap_overflow_workaround
        iommufd_backend_map_dma  iommufd=12 ioas=2 iova=0x100000000 size=0x40000000 addr=0x7f3a80000000 readonly=0 (0)
        iommufd_backend_map_file_dma  iommufd=12 ioas=2 iova=0x0 size=0x80000 fd=31 start=0 readonly=1 (0)
        iommufd_backend_unmap_dma  iommufd=12 ioas=2 iova=0x0 size=0x80000 (0)
        iommufd_backend_unmap_dma_non_exist  Unmap nonexistent mapping: iommufd=12 ioas=2 iova=0xc0000 size=0x4000 (-2)
        warning: host doesn't support requested feature
        """;

    [Fact]
    public void Read_EveryShapeQemuPrints_ReadsEachEventAndCountsTheRest()
    {
        var log = QemuTraceText.Read(RealShapes);

        Assert.Equal(
            [
                "vfio_listener_region_add_ram", "vfio_listener_region_add_ram", "vfio_listener_region_skip", "vfio_listener_region_add_skip",
                "vfio_listener_region_add_iommu", "vfio_listener_region_add_iommu", "vfio_listener_region_add_no_dma_map", "vfio_dma_map", "vfio_container_dma_unmap",
                "vfio_listener_region_del_iommu", "vfio_listener_region_del", "vfio_listener_region_del_skip", "vfio_dma_unmap_overflow_workaround",
                "vfio_legacy_dma_unmap_overflow_workaround", "iommufd_backend_map_dma", "iommufd_backend_map_file_dma", "iommufd_backend_unmap_dma",
                "iommufd_backend_unmap_dma_non_exist",
            ],
            log.Events.Select(e => e.Name));
        Assert.Equal(new QemuTraceStamp(2893, 1_700_000_000, 100), log.Events[0].Stamp);
        Assert.Null(log.Events[1].Stamp);
        Assert.Equal(new QemuTraceEvent.RegionAddRam(0xc0000, 0xbffffff, 0x7f3a400c0000) with { Line = 3 }, log.Events[1]);
        Assert.Equal(new QemuTraceEvent.RegionAddIommu("", 0, ulong.MaxValue) with { Line = 7 }, log.Events[5]);
        Assert.Equal(new QemuTraceEvent.MapFailed("vfio_dma_map", "0x55d6e1c3b540", 0xc0000, 0x20000, 0x7f3a400c0000, -17, "File exists") with { Line = 10 }, log.Events[7]);
        Assert.Equal("0000:01:00.0 BAR 2 mmaps[0]", ((QemuTraceEvent.RegionAddNoDmaMap)log.Events[6]).Region);
        Assert.Equal(new QemuTraceEvent.IommufdMap("iommufd_backend_map_file_dma", 12, 2, 0, 0x80000, null, 31, 0, true, 0) with { Line = 18 }, log.Events[15]);
        Assert.Equal(1, log.Unknown["vfio_region_mmap"]);
        Assert.Equal(2, log.OtherLines); // the command line and the warning
    }

    public static TheoryData<string, int, string> Damaged() => new()
    {
        { "vfio_listener_region_add_ram region_add [ram] 0x0 - [0x7f3a40000000]\n", 1, "vfio_listener_region_add_ram: expected \"region_add [ram] 0xSTART - 0xLAST [VADDR]\"" },
        { "\nvfio_listener_region_del region_del 0x0 -\n", 2, "vfio_listener_region_del: expected \"region_del 0xSTART - 0xLAST\"" },
        { "iommufd_backend_map_dma  iommufd=12 ioas=2 iova=0x0 size=0x1000 readonly=0 (0)\n", 1, "expected \"addr=\"" },
        { "vfio_dma_map(0x55d6e1c3b540, 0xc0000) = -17 (File exists)\n", 1, "expected \"vfio_dma_map(CONTAINER, 0xIOVA, 0xSIZE, VADDR) = -ERRNO (REASON)\"" },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void Read_KnownEventInAShapeNoQemuPrints_ThrowsNamingFileLineAndShape(string text, int line, string fragment)
    {
        var error = Assert.Throws<QemuFormatException>(() => QemuTraceText.Read(text, "vfio.log"));

        Assert.Equal(line, error.Line);
        Assert.StartsWith($"vfio.log:{line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteThenRead_GeneratedEvents_GivesThemBack()
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(200);
        Check.One(config, Prop.ForAll(TraceEvents, events =>
        {
            var numbered = events.Select((e, i) => e with { Line = i + 1 }).ToList();
            var read = QemuTraceText.Read(QemuTraceText.Write(numbered));
            return read.Events.SequenceEqual(numbered) && read.Unknown.Count == 0 && read.OtherLines == 0;
        }));
    }

    [Fact]
    public void Replay_PamFlipTracedByTheNaiveListener_ShowsTheWindowAndThePlannerIssuesNothing()
    {
        // A + B -> A': [0x0, 0xc0000) and [0xc0000, 0xc4000) of pc.ram merge when PAM turns the ROM window to RAM.
        var before = FlatView.Create([Ram(0, 0xc0000, 0), Ram(0xc0000, 0x4000, 0xc0000, prio: 1)]);
        var after = FlatView.Create([Ram(0, 0xc4000, 0)]);

        var (text, _) = Traced(DmaOptions.Default, before, after);
        var replay = TraceReplay.Of(QemuTraceText.Read(text));

        Assert.Empty(replay.Mismatches);
        Assert.Equal((UInt128)0xc4000, replay.Windows.Aggregate(UInt128.Zero, (sum, w) => sum + w.Iova.Size)); // 196 pages
        Assert.Equal([2, 3], replay.Bursts.Select(b => b.Ioctls));
        Assert.True(replay.Bursts[1].Planned.IsEmpty);
    }

    [Fact]
    public void Replay_MapOverALiveMappingTracedAsSuccess_ReportsTheKernelsEexist()
    {
        const string text = """
            vfio_listener_region_add_ram region_add [ram] 0x0 - 0xfffff [0x7f0000000000]
            vfio_listener_region_add_ram region_add [ram] 0x80000 - 0x8ffff [0x7f0000080000]
            """;

        var replay = TraceReplay.Of(QemuTraceText.Read(text));

        var mismatch = Assert.Single(replay.Mismatches);
        Assert.Equal((2, Errno.None, (Errno?)Errno.EEXIST), (mismatch.Line, mismatch.Traced, mismatch.Modelled));
    }

    [Fact]
    public void Replay_SectionOfTheWholeSpace_TheModelRefusesItsHostRangeAsTheKernelDoes()
    {
        // A RAM region as large as the address space: its host range passes 2^64 (found by the replay property).
        string text = QemuTraceText.Write([new QemuTraceEvent.RegionAddRam(0, ulong.MaxValue, QemuTraceRecorder.FirstHostAddress)]);

        var call = Assert.Single(TraceReplay.Of(QemuTraceText.Read(text)).Calls);

        Assert.Equal(Errno.None, call.Traced);
        Assert.NotEqual(Errno.None, call.Modelled);
    }

    [Fact]
    public void Replay_BisectingUnmap_V2RefusesItAndV1CutsIt()
    {
        const string text = """
            vfio_listener_region_add_ram region_add [ram] 0x0 - 0xfffff [0x7f0000000000]
            vfio_listener_region_del region_del 0x0 - 0x7ffff
            """;
        var log = QemuTraceText.Read(text);

        Assert.Equal(Errno.EINVAL, Assert.Single(TraceReplay.Of(log, Type1Version.V2).Mismatches).Modelled);
        Assert.Empty(TraceReplay.Of(log, Type1Version.V1).Mismatches);
    }

    [Fact]
    public void Replay_NaiveListenerTraces_WindowsAreTheCollateralTheOracleMeasures()
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(60).WithEndSize(40);
        Check.One(config, Prop.ForAll(DmaGenerators.Cases, c =>
        {
            var views = c.Trees().Select(t => t.Render()).ToArray();
            var (text, transactions) = Traced(c.DmaOptions, views);
            var replay = TraceReplay.Of(QemuTraceText.Read(text), Type1Version.V2, c.HostPageSize);

            foreach (var t in transactions)
            {
                UInt128 windows = replay.Windows.Where(w => w.UnmapLine >= t.FirstLine && w.MapLine <= t.LastLine)
                    .Aggregate(UInt128.Zero, (sum, w) => sum + w.Iova.Size);
                if (windows != t.Collateral)
                {
                    throw new InvalidOperationException($"lines {t.FirstLine}-{t.LastLine}: windows {windows}, the oracle's collateral {t.Collateral}\n{text}");
                }
            }

            // The trace was recorded on a mapping set with no host behind it; the replay's type1 model has one (a 48-bit
            // IOMMU aperture, pinning), which generated trees' 2^56-unit grids pass. Realistic machines stay inside it.
            return c.Layout is null || replay.Mismatches.IsEmpty ? true : throw new InvalidOperationException(string.Join("\n", replay.Mismatches) + "\n" + text);
        }));
    }

    private static FlatRange Ram(ulong start, ulong size, ulong offset, int prio = 0) =>
        new(new AddressRange(start, size), "pc.ram", RegionKind.Ram, offset, Priority: prio);

    private sealed record Transaction(int FirstLine, int LastLine, UInt128 Collateral);

    // Commits each view through the naive listener with the recorder on, on a type1 model; each transaction's lines
    // and the collateral the plan metrics measure for its calls.
    private static (string Text, List<Transaction> Transactions) Traced(DmaOptions options, params FlatView[] views)
    {
        var naive = new NaiveVfioListener(options);
        var container = new MappingSetBackend("c", DmaBackendTraits.Type1);
        naive.AddContainer(container);
        var recorder = new QemuTraceRecorder(naive, options, stamps: true);
        var topology = new MemoryTopology();
        topology.Register(recorder);
        var transactions = new List<Transaction>();
        foreach (var view in views)
        {
            int first = recorder.Events.Count + 1;
            // A type1 trace does not print a section's permission, so the collateral it can show ignores it. The
            // expectation is the oracle's: the ledger replay of the same calls, judged by translations read from
            // the views alone.
            var history = container.Mappings.Select(m => m with { Writable = true }).ToList();
            var writableView = FlatView.Create(view.Select(r => r with { ReadOnly = false }));
            topology.Commit(view);
            var ops = naive.OperationsOf(container, naive.Transaction).Select(o => o is DmaOperation.Map m ? new DmaOperation.Map(m.Mapping with { Writable = true }) : o).ToList();
            var measured = CollateralOracle.Measure(history, ops, iova => DmaVisibilityOracle.Lookup(history, iova),
                iova => DmaVisibilityOracle.Translate(writableView, options, iova), DmaBackendTraits.Type1, CollateralOracle.Boundaries(writableView, options.HostPageSize));
            transactions.Add(new Transaction(first, recorder.Events.Count, measured.CollateralBytes));
        }

        return (QemuTraceText.Write(recorder.Events), transactions);
    }

    private static readonly Gen<ulong> Hex = Gen.OneOf(Gen.Elements(0UL, 0xfffUL, 0x1000UL, ulong.MaxValue, 1UL << 63), Gen.Choose(0, int.MaxValue).Select(v => (ulong)v << 12));

    private static readonly Gen<string> Names = Gen.Elements("vtd-00.0-dmar", "0000:01:00.0 BAR 2 mmaps[0]", "pc.ram", "smmuv3-iommu-memory-region-0-0");

    // QEMU up to 9.x prints region_add [iommu] without the region's name.
    private static readonly Gen<string> NameOrNone = Gen.OneOf(Names, Gen.Constant(""));

    private static readonly Gen<bool> Flag = Gen.Elements(true, false);

    private static readonly Gen<QemuTraceEvent> Event = Gen.OneOf(
        from iova in Hex from last in Hex from vaddr in Hex select (QemuTraceEvent)new QemuTraceEvent.RegionAddRam(iova, last, vaddr),
        from name in NameOrNone from iova in Hex from last in Hex select (QemuTraceEvent)new QemuTraceEvent.RegionAddIommu(name, iova, last),
        from name in Names from iova in Hex from size in Hex select (QemuTraceEvent)new QemuTraceEvent.RegionAddNoDmaMap(name, iova, size, 0x1000),
        from iova in Hex from last in Hex select (QemuTraceEvent)new QemuTraceEvent.RegionDel(iova, last),
        from name in Names select (QemuTraceEvent)new QemuTraceEvent.RegionDelIommu(name),
        from old in Flag
        from start in Hex
        from last in Hex
        select (QemuTraceEvent)new QemuTraceEvent.RegionSkip(old ? "vfio_listener_region_add_skip" : "vfio_listener_region_skip", "region_add", start, last),
        from old in Flag select (QemuTraceEvent)new QemuTraceEvent.UnmapOverflowWorkaround(old ? "vfio_dma_unmap_overflow_workaround" : "vfio_legacy_dma_unmap_overflow_workaround"),
        from iova in Hex
        from size in Hex
        from vaddr in Hex
        select (QemuTraceEvent)new QemuTraceEvent.MapFailed("vfio_container_dma_map", "0x55d0c0de0000", iova, size, vaddr, -17, "File exists"),
        from iova in Hex from size in Hex select (QemuTraceEvent)new QemuTraceEvent.UnmapFailed("vfio_dma_unmap", "0x55d0c0de0000", iova, size, -22, "Invalid argument"),
        from iova in Hex
        from size in Hex
        from vaddr in Hex
        from readOnly in Flag
        select (QemuTraceEvent)new QemuTraceEvent.IommufdMap("iommufd_backend_map_dma", 12, 2, iova, size, vaddr, null, null, readOnly, 0),
        from iova in Hex from size in Hex select (QemuTraceEvent)new QemuTraceEvent.IommufdMap("iommufd_backend_map_file_dma", 12, 2, iova, size, null, 31, iova >> 12, false, -12),
        from iova in Hex
        from size in Hex
        from missing in Flag
        select (QemuTraceEvent)new QemuTraceEvent.IommufdUnmap(missing ? "iommufd_backend_unmap_dma_non_exist" : "iommufd_backend_unmap_dma", 12, 2, iova, size, missing ? -2 : 0));

    private static readonly Gen<QemuTraceEvent> StampedEvent =
        from e in Event
        from stamped in Flag
        from micro in Gen.Choose(0, 999_999)
        select stamped && e is not (QemuTraceEvent.MapFailed or QemuTraceEvent.UnmapFailed) ? e with { Stamp = new QemuTraceStamp(77, 1_700_000_000, (uint)micro) } : e;

    // Stamps on some events; a failure shrinks by dropping events, then stamps.
    private static readonly Arbitrary<QemuTraceEvent[]> TraceEvents = Arb.From(
        StampedEvent.ArrayOf(),
        events => Enumerable.Range(0, events.Length).Select(i => events.Where((_, j) => j != i).ToArray())
            .Concat(events.Any(e => e.Stamp is not null) ? [events.Select(e => e with { Stamp = null }).ToArray()] : []));
}
