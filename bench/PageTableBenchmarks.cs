using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Verify.IommuModel.PageTables;

namespace Verify.Bench;

/// <summary>
/// Issue 4 targets: map + unmap 1 TiB at mixed alignments (at least 20 million PTE stores per second),
/// translate (at least 50 million lookups per second), memory per table page within 10% of 4 KiB.
/// The derived column turns the median into stores/s, lookups/s or bytes per table page.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(DerivedConfig))]
public class PageTableBenchmarks
{
    internal const int Lookups = 4096;
    internal const int TablePagesToAllocate = 1024;
    private const ulong OneT = 1UL << 40;
    private const ulong SixteenG = 16UL << 30;
    private const ulong OneG = 1UL << 30;
    private const ulong TwoM = 1UL << 21;
    private const ulong FourK = 1UL << 12;

    /// <summary>How the 1 TiB is laid out: 1G-aligned (1024 leaves), pa skewed by 2M (524,288 x 2M leaves),
    /// or mixed (16 GiB chunks alternating 4K-offset runs into 2M and 1G leaves, and 2M-skewed chunks).</summary>
    [Params("1G-aligned", "2M-skewed", "mixed")]
    public string Layout { get; set; } = "mixed";

    private IoPageTable _table = null!;

    [GlobalSetup]
    public void Setup() => _table = NewTable();

    /// <summary>Maps then unmaps (with a sync per chunk) 1 TiB on a live domain (the table is empty again
    /// afterwards, its table pages free for reuse); returns the PTE stores it took.</summary>
    [Benchmark]
    public long MapUnmapOneTiB() => MapUnmapOneTiB(_table, Layout);

    internal static IoPageTable AllocateTablePagesOnce()
    {
        var table = new IoPageTable(PageTableOptions.Default);
        for (ulong i = 0; i < TablePagesToAllocate; i++)
        {
            table.Map(i * TwoM, i * TwoM, FourK, Protection.ReadWrite);
        }

        return table;
    }

    internal static IoPageTable NewTable() => new(PageTableOptions.Default with { Invalidation = InvalidationMode.Range });

    internal static long MapUnmapOneTiB(IoPageTable table, string layout)
    {
        long before = table.StoreCount;
        var chunks = MapLayout(table, layout);
        var gather = new UnmapGather();
        foreach (var (iova, size) in chunks)
        {
            table.Unmap(iova, size, gather);
            table.Sync(gather);
        }

        return table.StoreCount - before;
    }

    internal static List<(ulong Iova, ulong Size)> MapLayout(IoPageTable table, string layout)
    {
        var chunks = new List<(ulong, ulong)>();
        switch (layout)
        {
            case "1G-aligned":
                chunks.Add((0, OneT));
                table.Map(0, OneT, OneT, Protection.ReadWrite);
                break;
            case "2M-skewed":
                chunks.Add((0, OneT));
                table.Map(0, OneT + TwoM, OneT, Protection.ReadWrite);
                break;
            default:
                for (ulong i = 0; i < OneT / SixteenG; i++)
                {
                    // Odd chunks: pa skewed by 2M (all 2M leaves). Even chunks: 4K-offset start, so 4K run,
                    // 2M run, then 1G leaves, then 2M and 4K runs at the tail.
                    ulong offset = i % 2 == 0 ? FourK * (1 + (i % 7)) : 0;
                    ulong skew = i % 2 == 0 ? 0 : TwoM;
                    ulong iova = (i * SixteenG) + offset;
                    ulong size = SixteenG - offset - (i % 2 == 0 ? FourK : 0);
                    table.Map(iova, OneT + iova + skew, size, Protection.ReadWrite);
                    chunks.Add((iova, size));
                }

                break;
        }

        return chunks;
    }

    internal sealed class DerivedConfig : ManualConfig
    {
        public DerivedConfig() => AddColumn(StatisticColumn.Median, new DerivedColumn());
    }

    /// <summary>PTE stores per op and stores/s for map+unmap, lookups/s for translate, bytes per table page.</summary>
    private sealed class DerivedColumn : IColumn
    {
        public string Id => nameof(DerivedColumn);

        public string ColumnName => "Derived";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => false;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "map+unmap: PTE stores per op and millions of stores/s; translate: millions of lookups/s; table pages: bytes per table page";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
            if (median is not { } ns || ns <= 0)
            {
                return "-";
            }

            var c = CultureInfo.InvariantCulture;
            switch (benchmarkCase.Descriptor.WorkloadMethod.Name)
            {
                case nameof(MapUnmapOneTiB):
                    string layout = (string)benchmarkCase.Parameters["Layout"];
                    long stores = PageTableBenchmarks.MapUnmapOneTiB(PageTableBenchmarks.NewTable(), layout);
                    return string.Create(c, $"{stores:N0} stores, {stores / ns * 1e3:0.0} M stores/s");
                case nameof(PageTableLookupBenchmarks.Translate):
                    return string.Create(c, $"{1e3 / ns:0.0} M lookups/s");
                case nameof(PageTableLookupBenchmarks.AllocateTablePages):
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    var table = AllocateTablePagesOnce();
                    long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                    return string.Create(c, $"{(double)bytes / table.TablePagesAllocated:0} B/table page ({table.TablePagesAllocated} pages)");
                default:
                    return "-";
            }
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

/// <summary>Translate and table-page memory, on a fixed mixed 1 TiB mapping (no layout parameter).</summary>
[MemoryDiagnoser]
[Config(typeof(PageTableBenchmarks.DerivedConfig))]
public class PageTableLookupBenchmarks
{
    private IoPageTable _translateTable = null!;
    private ulong[] _addresses = null!;

    [GlobalSetup]
    public void Setup()
    {
        _translateTable = new IoPageTable(PageTableOptions.Default);
        PageTableBenchmarks.MapLayout(_translateTable, "mixed");
        var random = new Random(42);
        var leaves = _translateTable.Leaves();
        _addresses = [.. Enumerable.Range(0, PageTableBenchmarks.Lookups).Select(_ =>
        {
            var leaf = leaves[random.Next(leaves.Count)];
            return leaf.Iova + ((ulong)random.NextInt64((long)(leaf.Size / 4096)) * 4096);
        })];
    }

    /// <summary>Translates 4096 addresses spread over the mixed 1 TiB mapping (reported per lookup).</summary>
    [Benchmark(OperationsPerInvoke = PageTableBenchmarks.Lookups)]
    public ulong Translate()
    {
        ulong sum = 0;
        foreach (ulong address in _addresses)
        {
            sum += _translateTable.Translate(address)!.Value.Pa;
        }

        return sum;
    }

    /// <summary>Allocates 1024 leaf-level table pages (one 4K page in each of 1024 separate 2M blocks).</summary>
    [Benchmark(OperationsPerInvoke = PageTableBenchmarks.TablePagesToAllocate)]
    public int AllocateTablePages() => PageTableBenchmarks.AllocateTablePagesOnce().TablePagesAllocated;
}
