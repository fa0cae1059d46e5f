using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Bench;

/// <summary>
/// Topology diff and simplify over 1,000,000-range views, measured against a streaming baseline that only
/// reads both diff inputs once, so the ratio column says how far each is from the memory-bandwidth bound.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MemoryMapBenchmarks
{
    private const int RangeCount = 1_000_000;

    private FlatView _old = FlatView.Empty;
    private FlatView _new = FlatView.Empty;
    private FlatView _mergeable = FlatView.Empty;
    private AddressRange[] _mergedRuns = [];

    [GlobalSetup]
    public void Setup()
    {
        (_old, _new, var changes) = SyntheticFlatViews.DiffPair(RangeCount, changedFraction: 0.01, new Random(20261121));
        _mergeable = SyntheticFlatViews.Generate(RangeCount, mergeFraction: 0.3, new Random(1121));

        // Guards that the workload is the one the numbers claim: simplify has no work on the diff inputs
        // and real work on its own input.
        if (!_old.IsSimplified || _mergeable.IsSimplified)
        {
            throw new InvalidOperationException("workload shape broken: the diff input should be simplified and the simplify input not");
        }

        var simplified = _mergeable.Simplify();
        _mergedRuns = simplified.Ranges.Where(r => _mergeable[_mergeable.IndexOf(r.Range.Start)].Range != r.Range).Select(r => r.Range).ToArray();
        var events = TopologyDiff.Changes(_old, _new);
        Console.WriteLine($"// workload: old {_old.Count:N0} ranges, new {_new.Count:N0} ranges, {changes.Total:N0} changed ({changes}); " +
            $"{events.Length:N0} change events; simplify {_mergeable.Count:N0} -> {simplified.Count:N0} ranges ({_mergedRuns.Length:N0} merged runs)");
    }

    [Benchmark(Baseline = true)]
    public ulong StreamingBaseline() => Checksum(_old.Ranges.AsSpan()) + Checksum(_new.Ranges.AsSpan());

    /// <summary>The same read over simplify's single input: the stricter bound for simplify.</summary>
    [Benchmark]
    public ulong StreamingBaseline_SimplifyInput() => Checksum(_mergeable.Ranges.AsSpan());

    [Benchmark]
    public ImmutableArray<TopologyEvent> Diff_Changes() => TopologyDiff.Changes(_old, _new);

    [Benchmark]
    public int Diff_Walk_NoAlloc()
    {
        var sink = new CountingSink();
        TopologyDiff.Walk(_old, _new, ref sink);
        return sink.Deletes + sink.Adds + sink.Nops + sink.LogEvents;
    }

    [Benchmark]
    public ImmutableArray<TopologyEvent> Diff_Compute() => TopologyDiff.Compute(_old, _new);

    [Benchmark]
    public FlatView Simplify() => _mergeable.Simplify();

    /// <summary>Only the AddressRange constructions Simplify makes (one per merged run): the constructor
    /// validates and formats its message on every call, so this is the share that validation costs.</summary>
    [Benchmark]
    public ulong Simplify_AddressRangeShare()
    {
        ulong sum = 0;
        foreach (var run in _mergedRuns)
        {
            sum += new AddressRange(run.Start, run.Size).Start;
        }

        return sum;
    }

    // Touches every field flatrange_equal compares: start, size, offset, the flags and the region name by
    // reference (the diff's ordinal comparison stops at reference equality, so reading the characters would
    // overstate the bound). A sum, not a chained hash, so that the loop is bound by memory, not arithmetic.
    private static ulong Checksum(ReadOnlySpan<FlatRange> ranges)
    {
        ulong sum = 0;
        foreach (ref readonly var r in ranges)
        {
            string region = r.Region;
            UInt128 size = r.Range.Size;
            ulong flags = (ulong)r.Kind
                | (r.ReadOnly ? 1UL << 8 : 0)
                | (r.NonVolatile ? 1UL << 9 : 0)
                | (r.RomdMode ? 1UL << 10 : 0)
                | (r.Unmergeable ? 1UL << 11 : 0);
            sum += r.Range.Start ^ (ulong)size ^ (ulong)(size >> 64) ^ r.OffsetInRegion ^ flags ^ Unsafe.As<string, ulong>(ref region);
        }

        return sum;
    }

    private struct CountingSink : TopologyDiff.ISink
    {
        public int Deletes;
        public int Adds;
        public int Nops;
        public int LogEvents;

        public void On(in TopologyEvent e)
        {
            switch (e.Kind)
            {
                case TopologyEventKind.Delete: Deletes++; break;
                case TopologyEventKind.Add: Adds++; break;
                case TopologyEventKind.Nop: Nops++; break;
                default: LogEvents++; break;
            }
        }
    }
}
