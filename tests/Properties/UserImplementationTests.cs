using Verify.Harness.Implementations;
using Verify.Harness.Running;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Xunit.Abstractions;

namespace Verify.Properties;

/// <summary>
/// The in-process seam a user's C# code goes through (README, "Check your own implementation"): the library's own
/// page table handed in as if it were a user's driver passes the properties that judge a page table, and the same
/// driver with its gather cut to the request (CVE-2026-31735) is caught by PT-05; a user's memory map that merges
/// without looking at offsets is caught by FV-03. So the seam judges what it is given, not the library behind it.
/// </summary>
public class UserImplementationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("PT-01")]
    [InlineData("PT-04")]
    [InlineData("PT-05")]
    public void LibraryTableBehindTheUserSeam_PassesEveryPageTableProperty(string id)
    {
        Assert.Contains(PropertyCatalogue.Get(id), PropertyCatalogue.Judging(ImplementationInterfaces.PageTable));

        PropertyAssert.Holds(PropertyCatalogue.Get(id), Driver(gatherRequestOnly: false), output.WriteLine);
    }

    [Fact]
    public void DriverThatGathersOnlyTheRequest_IsCaughtByPt05()
    {
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("PT-05"), PropertyBudget.Default with { StartSeed = 7 }, null, Driver(gatherRequestOnly: true));

        Assert.False(outcome.Passed, outcome.Report);
        Assert.Contains("the driver's gather missed it", outcome.Report, StringComparison.Ordinal);
        Assert.Equal("user driver", outcome.Scenario!.Header.Implementation);
    }

    [Fact]
    public void MemoryMapThatMergesAcrossOffsets_IsCaughtByFv03()
    {
        var sloppy = ImplementationUnderTest.Named("sloppy merge").WithMemoryMap(
            view => FlatView.Create(view.Ranges.Aggregate(new List<FlatRange>(), (merged, r) =>
            {
                if (merged.Count > 0 && merged[^1].Range.End == r.Range.Start && merged[^1].Region == r.Region && merged[^1].Kind == r.Kind)
                {
                    merged[^1] = merged[^1] with { Range = new AddressRange(merged[^1].Range.Start, merged[^1].Range.Size + r.Range.Size) };
                }
                else
                {
                    merged.Add(r);
                }

                return merged;
            })),
            ImplementationUnderTest.Model.MemoryMap.Diff,
            ImplementationUnderTest.Model.MemoryMap.Replay);

        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("FV-03"), PropertyBudget.Default with { StartSeed = 11 }, null, sloppy);

        Assert.False(outcome.Passed, outcome.Report);
    }

    [Fact]
    public void Judging_ListsOnlyPropertiesOfTheInterface()
    {
        Assert.Empty(PropertyCatalogue.Judging(ImplementationInterfaces.None));
        Assert.All(PropertyCatalogue.Judging(ImplementationInterfaces.Listener), p => Assert.StartsWith("DL-", p.Id, StringComparison.Ordinal));
        Assert.DoesNotContain(PropertyCatalogue.Judging(ImplementationInterfaces.Listener), p => p.Id == "DL-06");
        Assert.Equal(PropertyCatalogue.All.Where(p => p.Exercises != ImplementationInterfaces.None), PropertyCatalogue.Judging(ImplementationInterfaces.All));
    }

    private static ImplementationUnderTest Driver(bool gatherRequestOnly) =>
        ImplementationUnderTest.Named("user driver").WithPageTable(
            new PageTableImplementation(PageTableFormat.X86_64, SplitPolicy.WholeLeaf, LiveLeafPolicy.Eexist, format => new LibraryDomain(format, gatherRequestOnly))
            {
                SubTable = SubTablePolicy.EmptyOnly,
            });

    /// <summary>The library's <see cref="IoPageTable"/> as <c>iommu_domain_ops</c>: each call maps or unmaps its pages
    /// through the table and reports what the table gathered.</summary>
    private sealed class LibraryDomain(PageTableFormat format, bool gatherRequestOnly) : IIommuDomain
    {
        private readonly IoPageTable _table = new(PageTableOptions.Default with { Format = format, Split = SplitPolicy.WholeLeaf, LiveLeaf = LiveLeafPolicy.Eexist, SubTable = SubTablePolicy.EmptyOnly });

        public PagesMapped MapPages(ulong iova, ulong paddr, ulong pageSize, ulong pageCount, Protection protection)
        {
            var result = _table.Map(iova, paddr, pageSize * pageCount, protection);
            return new PagesMapped(result.Error, result.Mapped);
        }

        public PagesUnmapped UnmapPages(ulong iova, ulong pageSize, ulong pageCount)
        {
            // The driver gathers the leaves it removed (iommu_iotlb_gather_add_page per leaf), whole.
            var before = _table.Leaves().ToHashSet();
            var gather = new UnmapGather();
            ulong removed = _table.Unmap(iova, pageSize * pageCount, gather);
            _table.Sync(gather);
            before.ExceptWith(_table.Leaves());
            AddressRange? gathered = before.Count == 0 ? null
                : gatherRequestOnly ? new AddressRange(iova, pageSize * pageCount)
                : AddressRange.FromBounds(before.Min(l => l.Iova), before.Max(l => (UInt128)l.Iova + l.Size));
            return new PagesUnmapped(removed, gathered);
        }

        public Translation? IovaToPhys(ulong iova) => _table.Translate(iova);

        public void IotlbSync(AddressRange gathered)
        {
        }
    }
}
