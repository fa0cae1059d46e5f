using Verify.MemoryMap;
using Verify.MemoryMap.Regions;

namespace Verify.Properties;

/// <summary>
/// The renderer's covered-address set is a treap tuned for speed; these tests hold it to a plain list of
/// intervals that is obviously right, on seeded random claims, and check the render's ordering step.
/// </summary>
public class RenderPerformanceShapeTests
{
    private const ulong Top = ulong.MaxValue; // the last address, 0xFFFF_FFFF_FFFF_FFFF

    [Theory]
    [InlineData(1, 64UL)] // dense: claims overlap and touch all the time
    [InlineData(2, 4096UL)] // sparse: most claims are disjoint
    public void ClaimGaps_RandomClaims_MatchNaiveIntervalList(int seed, ulong universe)
    {
        var random = new Random(seed);
        for (int round = 0; round < 200; round++)
        {
            var covered = new CoveredIntervals();
            var naive = new NaiveCovered();
            var gaps = new List<AddressRange>();
            for (int claim = 0; claim < 60; claim++)
            {
                (ulong start, UInt128 end) = RandomSpan(random, universe);
                gaps.Clear();
                covered.ClaimGaps(start, end, gaps);

                Assert.Equal(naive.Claim(start, end), gaps);
            }
        }
    }

    [Fact]
    public void ClaimGaps_AtTopOfAddressSpace_FillsUpToTwoToThe64()
    {
        var covered = new CoveredIntervals();
        var gaps = new List<AddressRange>();
        covered.ClaimGaps(Top - 0xfff, Top, gaps); // [0xFFFF_FFFF_FFFF_F000, 0xFFFF_FFFF_FFFF_FFFF)
        gaps.Clear();

        covered.ClaimGaps(Top - 0x1fff, AddressSpace.End, gaps); // [0xFFFF_FFFF_FFFF_E000, 2^64)

        Assert.Equal(
            [AddressRange.FromBounds(Top - 0x1fff, Top - 0xfff), AddressRange.FromBounds(Top, AddressSpace.End)],
            gaps);
    }

    [Fact]
    public void Render_LeavesPlacedInDescendingOrder_GivesAscendingView()
    {
        var tree = RegionTree.Create(MemoryRegion.Container("root", AddressSpace.End));
        for (int i = 0; i < 500; i++)
        {
            // [0x2000 * i, 0x2000 * i + 0x1000), placed from the top down and rendered most recent first
            string name = $"io{i}";
            tree = tree.Define(MemoryRegion.Io(name, 0x1000)).AddSubregion("root", name, 0x2000UL * (ulong)(499 - i));
        }

        var view = tree.RenderUnsimplified();

        Assert.Equal(500, view.Count);
        Assert.Null(Verify.MemoryMap.Flat.FlatView.FindDefect(view.Ranges));
        Assert.Equal(Enumerable.Range(0, 500).Select(i => 0x2000UL * (ulong)i), view.Ranges.Select(r => r.Range.Start));
    }

    private static (ulong Start, UInt128 End) RandomSpan(Random random, ulong universe)
    {
        // One claim in eight lands at the top of the address space, so that ends of 2^64 - 1 and 2^64 occur.
        ulong origin = random.Next(8) == 0 ? Top - universe + 1 : 0;
        ulong start = origin + (ulong)random.NextInt64((long)universe);
        UInt128 room = (UInt128)origin + universe - start;
        UInt128 size = 1 + (UInt128)(ulong)random.NextInt64((long)ulong.Min((ulong)room, universe / 4 + 1));
        return (start, (UInt128)start + size);
    }

    /// <summary>The covered set as a list of intervals, every claim answered by a scan: slow and plainly right.</summary>
    private sealed class NaiveCovered
    {
        private readonly List<(UInt128 Start, UInt128 End)> _intervals = [];

        public List<AddressRange> Claim(ulong start, UInt128 end)
        {
            var gaps = new List<AddressRange>();
            UInt128 cursor = start;
            foreach (var (s, e) in _intervals.Where(i => i.End > start && i.Start < end).OrderBy(i => i.Start))
            {
                if (s > cursor)
                {
                    gaps.Add(AddressRange.FromBounds((ulong)cursor, s));
                }

                cursor = UInt128.Max(cursor, e);
            }

            if (cursor < end)
            {
                gaps.Add(AddressRange.FromBounds((ulong)cursor, end));
            }

            _intervals.Add((start, end));
            return gaps;
        }
    }
}
