using BenchmarkDotNet.Attributes;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Bench;

/// <summary>
/// Issue 3: the coalescing plan must cost about what QEMU's own topology diff costs on the same pair of views
/// (target: at most 3x), and allocate in proportion to the changes. Two 1,000,000-range views; in the new one
/// <see cref="Changed"/> ranges, evenly spread, become read-only (10,000 = 1%; 0 shows the cost of no change).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class DmaPlanBenchmarks
{
    private const int Ranges = 1_000_000;
    private const ulong Size = 0x1_0000;

    /// <summary>How many ranges change.</summary>
    [Params(0, 10_000)]
    public int Changed { get; set; }

    private FlatView _old = FlatView.Empty;
    private FlatView _new = FlatView.Empty;
    private IReadOnlyList<DmaMapping> _live = [];
    private DmaMap _desired = DmaMap.Empty;

    [GlobalSetup]
    public void Setup()
    {
        (_old, _new) = SyntheticFlatViews.ReadOnlyFlips(Ranges, Size, Changed);
        _live = DmaMap.Of(_old, DmaOptions.Default).Mappings;
        _desired = DmaMap.Of(_new, DmaOptions.Default);
    }

    [Benchmark(Baseline = true)]
    public int TopologyDiffChanges() => TopologyDiff.Changes(_old, _new).Length;

    [Benchmark]
    public int CoalescingPlan() => DmaPlanner.Plan(_live, _desired, PlanOptions.Default).Ioctls;
}
