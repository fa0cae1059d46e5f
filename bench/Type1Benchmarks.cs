using BenchmarkDotNet.Attributes;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Bench;

/// <summary>
/// Issue 5: a type1 call must cost O(log n) in the container's mappings (plus the page-table work for its own
/// leaves), and pinning must scale with contiguous runs, not pages. <see cref="MapThenUnmapEach"/> maps
/// <see cref="Mappings"/> 2 MiB mappings (one 2 MiB leaf each in an x86-64 domain) and unmaps them one by one;
/// BenchmarkDotNet divides by the number of calls, so the median is per call. Comparing N = 4,096 with
/// N = 65,535 shows how a call's cost grows with the number of live mappings; the random order makes every
/// insertion land in the middle of the sorted list.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class Type1CallBenchmarks
{
    private const ulong TwoMiB = 0x20_0000;
    private const ulong HvaBase = 0x7f00_0000_0000;
    private const ulong HpaBase = 0x1_0000_0000;

    /// <summary>Live mappings at the peak.</summary>
    [Params(4_096, 65_535)]
    public int Mappings { get; set; }

    /// <summary>Whether IOVAs are mapped in ascending order (appends) or shuffled (inserts in the middle).</summary>
    [Params(false, true)]
    public bool Shuffled { get; set; }

    private ulong[] _order = [];
    private HostMemory _host = new();

    [GlobalSetup]
    public void Setup()
    {
        _order = Enumerable.Range(0, Mappings).Select(i => (ulong)i).ToArray();
        if (Shuffled)
        {
            new Random(42).Shuffle(_order);
        }

        _host = new HostMemory();
        _host.AddVirtualRange(HvaBase, (ulong)Mappings * TwoMiB, HpaBase);
    }

    /// <summary>One MAP_DMA per mapping, then one UNMAP_DMA per mapping in the same order: 2N calls.</summary>
    [Benchmark(OperationsPerInvoke = 2 * 65_535)]
    public long MapThenUnmapEach()
    {
        // OperationsPerInvoke must be a constant; scale the 4,096 case so both report a per-call time.
        var container = new Type1Container("bench", Type1Options.Default, _host, RamBlocks.Empty, [PageTableOptions.Default]);
        long sum = 0;
        int rounds = 65_535 / Mappings;
        for (int round = 0; round < rounds; round++)
        {
            foreach (ulong i in _order)
            {
                sum += (long)(ulong)container.MapDma(Type1MapFlags.Read | Type1MapFlags.Write, i * TwoMiB, HvaBase + (i * TwoMiB), TwoMiB).Size;
            }

            foreach (ulong i in _order)
            {
                sum += (long)(ulong)container.UnmapDma(Type1UnmapFlags.None, i * TwoMiB, TwoMiB).Size;
            }
        }

        return sum;
    }
}

/// <summary>
/// Issue 5: one MAP_DMA of 1 TiB (1,024 leaves of 1 GiB in an x86-64 domain) must take at most 1 ms, which it
/// can only do if pinning and charging work on the contiguous run rather than on its 268,435,456 pages.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class Type1HugeMapBenchmarks
{
    private const ulong OneTiB = 1UL << 40;
    private const ulong HvaBase = 0x4000_0000_0000;
    private const ulong HpaBase = 0x100_0000_0000;

    private HostMemory _host = new();
    private Type1Container _container = null!;

    [GlobalSetup]
    public void Setup()
    {
        _host = new HostMemory();
        _host.AddVirtualRange(HvaBase, OneTiB, HpaBase);
        _container = new Type1Container("bench", Type1Options.Default, _host, RamBlocks.Empty, [PageTableOptions.Default]);
    }

    /// <summary>MAP_DMA of 1 TiB, then UNMAP_DMA of it (the unmap, its IOTLB sync and the unpin included).</summary>
    [Benchmark]
    public UInt128 MapAndUnmapOneTiB()
    {
        var map = _container.MapDma(Type1MapFlags.Read | Type1MapFlags.Write, 0, HvaBase, OneTiB);
        var unmap = _container.UnmapDma(Type1UnmapFlags.None, 0, OneTiB);
        return map.Size + unmap.Size;
    }
}

/// <summary>
/// Issue 5: the listener and container path end to end. A 1,000,000-range view (64 KiB RAM ranges alternating
/// between two RAM blocks, so nothing merges) is committed into a <see cref="MemoryTopology"/> whose coalescing
/// listener drives a real <see cref="Type1Container"/> with an x86-64 domain (pins, charges and page tables
/// included). Each invocation commits the other view of the pair: <see cref="Changed"/> ranges flip read-only,
/// so the topology diff, the plan, the UNMAP/MAP ioctls, the page-table work and the IOTLB syncs are all paid.
/// The entry limit is raised past 1,000,000 (a setting): the kernel's default 65,535 would refuse the view.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class Type1ListenerBenchmarks
{
    private const int Ranges = 1_000_000;
    private const ulong Size = 0x1_0000;
    private const ulong HvaA = 0x1000_0000_0000;
    private const ulong HvaB = 0x2000_0000_0000;

    /// <summary>How many ranges change per transaction.</summary>
    [Params(10_000)]
    public int Changed { get; set; }

    private FlatView _old = FlatView.Empty;
    private FlatView _new = FlatView.Empty;
    private MemoryTopology _topology = new();
    private Type1Container _container = null!;
    private bool _atNew;

    [GlobalSetup]
    public void Setup()
    {
        (_old, _new) = SyntheticFlatViews.ReadOnlyFlips(Ranges, Size, Changed);

        ulong span = Ranges * Size;
        var host = new HostMemory();
        host.AddVirtualRange(HvaA, span, 0x1_0000_0000);
        host.AddVirtualRange(HvaB, span, 0x1_0000_0000 + span);
        var blocks = RamBlocks.Empty.With("ram-a", HvaA, span).With("ram-b", HvaB, span);
        _container = new Type1Container("bench", Type1Options.Default with { DmaEntryLimit = 2 * Ranges }, host, blocks, [PageTableOptions.Default]);
        var listener = new CoalescingListener(DmaOptions.Default, PlanOptions.Default);
        listener.AddContainer(_container);
        _topology = new MemoryTopology();
        _topology.Register(listener);
        _topology.Commit(_old);
        if (_container.Mappings.Count != Ranges)
        {
            throw new InvalidOperationException($"setup mapped {_container.Mappings.Count} of {Ranges} ranges");
        }
    }

    /// <summary>One transaction: render the other view of the pair into the topology and let the listener
    /// bring the container up to date.</summary>
    [Benchmark]
    public int CommitTransaction()
    {
        _atNew = !_atNew;
        return _topology.Commit(_atNew ? _new : _old).Length;
    }
}
