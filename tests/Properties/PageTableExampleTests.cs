using System.Text.RegularExpressions;
using Verify.Harness.Running;
using Verify.IommuModel;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;
using Xunit.Abstractions;

namespace Verify.Properties;

/// <summary>Fixed vectors from the Linux test suites and the seed stories (docs/semantics.md 4).</summary>
public class PageTableExampleTests(ITestOutputHelper output)
{
    private const ulong FourK = 0x1000;
    private const ulong TwoM = 0x20_0000;
    private const ulong OneG = 0x4000_0000;
    private const ulong RangeStart = 0x3_fe40_0000;
    private const ulong RangeEnd = 0x4_c060_0000;

    [Fact]
    public void Map_IdentityRange3fe400000To4c0600000_TwentyLeaves()
    {
        var table = new IoPageTable(PageTableOptions.Default);
        var result = table.Map(RangeStart, RangeStart, RangeEnd - RangeStart, Protection.ReadWrite); // [0x3fe400000, 0x4c0600000)

        Assert.Equal(new MapResult(Errno.None, RangeEnd - RangeStart), result);
        var leaves = table.LeavesIn(RangeStart, RangeEnd);
        Assert.Equal(20, leaves.Count);
        ulong[] expected = [.. Enumerable.Repeat(TwoM, 14), .. Enumerable.Repeat(OneG, 3), .. Enumerable.Repeat(TwoM, 3)];
        Assert.Equal(expected, leaves.Select(l => l.Size));
        Assert.All(leaves, l => Assert.Equal(l.Iova, l.Pa));
    }

    [Fact]
    public void Map_IdentityRange3fe400000To4c0600000_NeighboursKeepTranslation()
    {
        var table = new IoPageTable(PageTableOptions.Default);
        table.Map(RangeStart - TwoM, 0x10_0000_0000, TwoM, Protection.Read); // [0x3fe200000, 0x3fe400000)
        table.Map(RangeEnd, 0x20_0000_0000, FourK, Protection.Write); // [0x4c0600000, 0x4c0601000)
        var before = Neighbours(table);

        table.Map(RangeStart, RangeStart, RangeEnd - RangeStart, Protection.ReadWrite); // [0x3fe400000, 0x4c0600000)
        Assert.Equal(before, Neighbours(table));
        ulong removed = table.Unmap(RangeStart, RangeEnd - RangeStart, new UnmapGather()); // [0x3fe400000, 0x4c0600000)

        Assert.Equal(RangeEnd - RangeStart, removed);
        Assert.Empty(table.LeavesIn(RangeStart, RangeEnd));
        Assert.Equal(before, Neighbours(table));
    }

    [Theory]
    [InlineData(SplitPolicy.Split, TwoM, 0UL, FourK, 511)]
    [InlineData(SplitPolicy.Split, TwoM, 0x10_0000UL, FourK, 511)]
    [InlineData(SplitPolicy.Split, OneG, 0UL, FourK, 1022)]
    [InlineData(SplitPolicy.Split, OneG, 0x2000_0000UL, FourK, 1022)]
    [InlineData(SplitPolicy.Refuse, TwoM, 0UL, 0UL, 1)]
    [InlineData(SplitPolicy.Refuse, TwoM, 0x10_0000UL, 0UL, 1)]
    [InlineData(SplitPolicy.Refuse, OneG, 0UL, 0UL, 1)]
    [InlineData(SplitPolicy.Refuse, OneG, 0x2000_0000UL, 0UL, 1)]
    [InlineData(SplitPolicy.WholeLeaf, TwoM, 0UL, TwoM, 0)]
    [InlineData(SplitPolicy.WholeLeaf, TwoM, 0x10_0000UL, TwoM, 0)]
    [InlineData(SplitPolicy.WholeLeaf, OneG, 0UL, OneG, 0)]
    [InlineData(SplitPolicy.WholeLeaf, OneG, 0x2000_0000UL, OneG, 0)]
    public void Unmap_FourKAtStartOrMiddleOfSuperpage_ReturnsWhatPolicySays(
        SplitPolicy policy, ulong leafSize, ulong offset, ulong expectedReturn, int expectedLeaves)
    {
        var table = new IoPageTable(PageTableOptions.Default with { Split = policy });
        ulong iova = 4 * OneG;
        table.Map(iova, 8 * OneG, leafSize, Protection.ReadWrite); // [0x100000000, +leafSize)
        int linkedStores = 0;
        table.Stored += store => linkedStores += store.Reachable ? 1 : 0;

        ulong returned = table.Unmap(iova + offset, FourK, new UnmapGather());

        Assert.Equal(expectedReturn, returned);
        Assert.Equal(expectedLeaves, table.Leaves().Count);
        if (policy == SplitPolicy.Split)
        {
            // The block is swapped for a table in one store a device can see; every other page keeps its translation.
            Assert.Equal(1, linkedStores);
            Assert.Null(table.Translate(iova + offset));
            ulong other = offset == 0 ? leafSize - FourK : 0;
            Assert.Equal(new Translation((8 * OneG) + other, Protection.ReadWrite), table.Translate(iova + other));
        }
    }

    [Theory]
    [InlineData("arm-lpae-16k", SplitPolicy.Split, 0x4000UL, 2047)]
    [InlineData("arm-lpae-16k", SplitPolicy.Refuse, 0UL, 1)]
    [InlineData("arm-lpae-16k", SplitPolicy.WholeLeaf, 0x200_0000UL, 0)]
    [InlineData("arm-lpae-64k", SplitPolicy.Split, 0x1_0000UL, 8191)]
    [InlineData("arm-lpae-64k", SplitPolicy.Refuse, 0UL, 1)]
    [InlineData("arm-lpae-64k", SplitPolicy.WholeLeaf, 0x2000_0000UL, 0)]
    public void Unmap_OneGranuleInMiddleOfLargestLeaf_ReturnsWhatPolicySays(string formatName, SplitPolicy policy, ulong expectedReturn, int expectedLeaves)
    {
        var format = PageTableFormat.All.Single(f => f.Name == formatName);
        var table = new IoPageTable(PageTableOptions.Default with { Format = format, Split = policy });
        ulong largest = format.PageSizes[^1];
        table.Map(largest, 4 * largest, largest, Protection.ReadWrite); // [32M, 64M) or [512M, 1G)

        ulong returned = table.Unmap(largest + (largest / 2), format.Granule, new UnmapGather());

        Assert.Equal(expectedReturn, returned);
        Assert.Equal(expectedLeaves, table.Leaves().Count);
    }

    [Fact]
    public void Map_LastPageOfFiveLevelWidth_TranslatesAndUnmaps()
    {
        var table = new IoPageTable(PageTableOptions.Default with { Format = PageTableFormat.X86_64FiveLevel });
        const ulong lastPage = 0x1FF_FFFF_FFFF_F000;

        var result = table.Map(lastPage, 0x1000, FourK, Protection.Read); // [0x1ff_ffff_ffff_f000, 2^57)

        Assert.True(result.Succeeded);
        Assert.Equal(new Translation(0x1FFF, Protection.Read), table.Translate(lastPage + 0xFFF));
        Assert.Null(table.Translate(0x200_0000_0000_0000)); // 2^57: past the width
        Assert.Equal(FourK, table.Unmap(lastPage, FourK, new UnmapGather())); // [0x1ff_ffff_ffff_f000, 2^57)
        Assert.Equal(1, table.TablePageCount); // the empty tables below the top were freed
    }

    [Theory]
    [InlineData(InvalidationMode.PerLeaf, 512)]
    [InlineData(InvalidationMode.Range, 1)]
    [InlineData(InvalidationMode.WholeDomainAboveThreshold, 1)]
    public void Unmap_OneGiBOfTwoMegLeaves_CommandCountPerMode(InvalidationMode mode, long expectedCommands)
    {
        var table = new IoPageTable(PageTableOptions.Default with { Invalidation = mode });
        // A physical base aligned to 2M but not 1G forces 512 x 2M leaves.
        table.Map(OneG, (3 * OneG) + TwoM, OneG, Protection.ReadWrite); // [0x40000000, 0x80000000)
        Assert.Equal(512, table.Leaves().Count);
        var gather = new UnmapGather();

        ulong removed = table.Unmap(OneG, OneG, gather); // [0x40000000, 0x80000000)
        table.Sync(gather);

        Assert.Equal(OneG, removed);
        Assert.Equal(expectedCommands, table.Iotlb.CommandCount);
        Assert.Equal(0, gather.ForcedSyncs);
    }

    [Fact]
    public void Unmap_TwelveKSplitFromTwoMegOverDestroyedSubTable_PerLeafForcesSyncOfEarlierGap()
    {
        // PT-08 replay 1658356194487377403,17236995396755857453,83: one gather, never synced by the caller.
        var table = new IoPageTable(PageTableOptions.Default);
        var gather = new UnmapGather();
        const ulong iova = 0x6_8000_0000;
        const ulong pa = 0x52_c000_0000;

        table.Map(iova, pa, 4 * FourK, Protection.ReadWrite); // [0x680000000, 0x680004000) four 4K leaves
        table.Unmap(iova + (2 * FourK), FourK, gather); // [0x680002000, 0x680003000) waits in the gather
        // The 2M leaf destroys the sub-table still holding three 4K leaves: one walk flush over the 2M.
        table.Map(iova, pa, TwoM, Protection.ReadWrite); // [0x680000000, 0x680200000)
        Assert.Equal(1, table.Iotlb.CommandCount);
        // Split: the block becomes a table of 4K leaves minus [0x680000000, 0x680003000); the leaves are
        // gathered one by one and the first, [0x680000000, 0x680001000), neither meets nor touches
        // [0x680002000, 0x680003000), so that gather is synced first (one per-leaf command).
        ulong removed = table.Unmap(iova, 3 * FourK, gather); // [0x680000000, 0x680003000)

        Assert.Equal(3 * FourK, removed);
        Assert.Equal(2, table.Iotlb.CommandCount);
        Assert.Equal(
            [
                new InvalidationCommand(InvalidationKind.Range, iova, TwoM, FourK, 1), // [0x680000000, 0x680200000)
                new InvalidationCommand(InvalidationKind.Leaf, iova + (2 * FourK), FourK, FourK, 1), // [0x680002000, 0x680003000)
            ],
            table.Iotlb.Commands);
        Assert.Equal(1, gather.ForcedSyncs);
        Assert.Equal((iova, iova + (3 * FourK), FourK), (gather.Start, gather.End, gather.Granule)); // [0x680000000, 0x680003000)

        table.Sync(gather);
        Assert.Equal(5, table.Iotlb.CommandCount); // three more per-leaf commands
    }

    [Fact]
    public void Sync_LazyModeAfterWholeLeafUnmap_StaleUntilQueueFlush()
    {
        var table = new IoPageTable(PageTableOptions.Default with { Split = SplitPolicy.WholeLeaf, Flush = FlushMode.Lazy });
        table.Map(TwoM, 4 * TwoM, TwoM, Protection.ReadWrite); // [0x200000, 0x400000)
        table.Iotlb.Access(TwoM + (100 * FourK));
        var gather = new UnmapGather();

        table.Unmap(TwoM, FourK, gather); // [0x200000, 0x201000) removes the whole 2M leaf
        table.Sync(gather);
        var stale = table.Iotlb.Access(TwoM + (100 * FourK));
        table.FlushQueue();

        Assert.NotNull(stale); // the window lazy mode leaves open until the flush
        Assert.Equal(0, table.Iotlb.Commands.Count(c => c.Kind != InvalidationKind.WholeDomain));
        Assert.Null(table.Iotlb.Access(TwoM + (100 * FourK)));
        Assert.Equal(1, table.Iotlb.CommandCount);
    }

    [Fact]
    public void NoStaleTranslationAfterSync_RequestedRangeOnlyFlushBug_CaughtAndShrunkToOneMapOneUnmap()
    {
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("PT-05"), PropertyBudget.Default with { StartSeed = 20261121 },
            implementation: Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == "page-table-invalidates-requested-range-only").Implementation);

        Assert.False(outcome.Passed);
        output.WriteLine(outcome.Counterexample);
        output.WriteLine(outcome.FailureMessage);
        string[] lines = outcome.Counterexample!.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Single(lines, l => Regex.IsMatch(l, @"^\[\d+\] t-[a-z-]+: map "));
        Assert.Single(lines, l => Regex.IsMatch(l, @"^\[\d+\] t-[a-z-]+: unmap "));
        Assert.Contains(outcome.Scenario!.Steps, s => s is Verify.Harness.Scenarios.PageTableStep { Options.Split: SplitPolicy.WholeLeaf });
    }

    [Fact]
    public void Map_MisalignedOrOutOfWidth_ErrnoValueNotException()
    {
        var table = new IoPageTable(PageTableOptions.Default);

        Assert.Equal(Errno.EINVAL, table.Map(0x800, 0, FourK, Protection.Read).Error); // [0x800, 0x1800)
        Assert.Equal(Errno.EINVAL, table.Map(0, 0, FourK, Protection.None).Error);
        Assert.Equal(Errno.ERANGE, table.Map(0xFFFF_FFFF_F000, 0, 2 * FourK, Protection.Read).Error); // [0xffff_ffff_f000, 2^48 + 0x1000)
        Assert.True(table.Map(0xFFFF_FFFF_F000, 0, FourK, Protection.Read).Succeeded); // [0xffff_ffff_f000, 2^48)
        Assert.Equal(0UL, table.Unmap(0xFFFF_FFFF_F800, FourK, new UnmapGather())); // misaligned: [0xffff_ffff_f800, ...)
        Assert.Equal(FourK, table.Unmap(0xFFFF_FFFF_F000, FourK, new UnmapGather())); // the last page of the width
    }

    [Fact]
    public void Constructor_TableBudgetBelowOne_ThrowsNamingOptions()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new IoPageTable(PageTableOptions.Default with { MaxTablePages = 0 }));
        Assert.Equal("options", e.ParamName);
    }

    private static (Translation?, Translation?, Translation?) Neighbours(IoPageTable table) =>
        (table.Translate(RangeStart - TwoM), table.Translate(RangeStart - FourK), table.Translate(RangeEnd));
}
