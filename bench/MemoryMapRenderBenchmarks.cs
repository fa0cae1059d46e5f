using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Bench;

/// <summary>Render of a region tree with 100,000 leaf regions, with and without the simplify QEMU always runs.</summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MemoryMapRenderBenchmarks
{
    private RegionTree _tree = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tree = SyntheticRegionTree.Build(leafCount: 100_000, new Random(100_000));
        var unsimplified = _tree.RenderUnsimplified();
        Console.WriteLine($"// workload: {_tree.Count:N0} regions defined; render gives {unsimplified.Count:N0} ranges, {unsimplified.Simplify().Count:N0} after simplify");
    }

    [Benchmark]
    public FlatView Render_100kLeaves_Unsimplified() => _tree.RenderUnsimplified();

    [Benchmark]
    public FlatView Render_100kLeaves() => _tree.Render();
}
