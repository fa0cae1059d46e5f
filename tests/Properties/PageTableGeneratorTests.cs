using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.PageTables;
using Verify.IommuModel.PageTables;

namespace Verify.Properties;

/// <summary>The page-table generators reach the edges docs/semantics.md 4 names, and the shrinker only offers simpler cases.</summary>
public class PageTableGeneratorTests
{
    private static readonly PageTableCase[] Sample =
        [.. PageTableGenerators.Cases().Generator.Sample(60, new Rnd(20261121UL), 300)];

    [Fact]
    public void Cases_DefaultSample_CoverEveryFormat()
    {
        var formats = Sample.Select(c => c.Options.Format).Distinct().ToList();

        Assert.Equal(PageTableFormat.All.Count, formats.Count);
    }

    [Fact]
    public void Cases_DefaultSample_ReachTopOfAddressWidthAndSuperpageBoundaries()
    {
        Assert.Contains(Sample, c => c.Maps.Any(m => m.End == c.Options.Format.AddressLimit));
        Assert.Contains(Sample, c => c.Maps.Any(m => m.Iova % c.Options.Format.PageSizes[^1] == 0 && m.Size >= c.Options.Format.PageSizes[^1]));
        // Just misaligned: one granule off a middle-page boundary.
        Assert.Contains(Sample, c => c.Maps.Any(m => m.Iova % (2 * c.Options.Format.Granule) != 0 && m.Size > c.Options.Format.PageSizes[^1] / 16));
    }

    [Fact]
    public void Cases_DefaultSample_HavePartialLeafAndMisalignedUnmaps()
    {
        Assert.Contains(Sample, c => c.Unmaps.Any(u => c.Maps.Any(m => u.Iova > m.Iova && u.Iova + u.Size < m.End)));
        Assert.Contains(Sample, c => c.Unmaps.Any(u => u.Iova % c.Options.Format.Granule != 0 || u.Size % c.Options.Format.Granule != 0));
        Assert.Contains(Sample, c => c.Ops.Any(o => o is SyncOp) && c.Ops.Any(o => o is FlushQueueOp));
        Assert.Contains(Sample, c => c.Options.Flush == FlushMode.Lazy);
    }

    [Fact]
    public void Shrink_GeneratedCase_NeverOffersTheSameCaseOrMoreOperations()
    {
        foreach (var c in Sample.Take(40))
        {
            Assert.All(PageTableGenerators.Shrink(c), s =>
            {
                Assert.NotEqual(c, s);
                Assert.True(s.Ops.Length <= c.Ops.Length);
                Assert.True(s.Splits.Length <= c.Splits.Length && s.Modes.Length <= c.Modes.Length);
            });
        }
    }

    [Fact]
    public void ToString_Case_PrintsOptionsThenNumberedScript()
    {
        var c = new PageTableCase(
            PageTableOptions.Default,
            [SplitPolicy.Refuse],
            [InvalidationMode.Range],
            [new MapOp(0x20_0000, 0x4020_0000, 0x20_0000, Protection.ReadWrite), new UnmapOp(0x20_1000, 0x1000), new SyncOp()]);

        Assert.Equal(
            "x86-64 split=Refuse invalidation=Range live-leaf=Eexist sub-table=DestroySubTable strict\n" +
            "1. map iova=0x200000 pa=0x40200000 size=2M rw\n" +
            "2. unmap iova=0x201000 size=4K\n" +
            "3. sync",
            c.ToString().ReplaceLineEndings("\n"));
    }
}
