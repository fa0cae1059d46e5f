using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;

namespace Verify.Properties;

public class TopologyDiffExampleTests
{
    private static FlatRange Ram(ulong start, ulong size, ulong offset, bool readOnly = false) =>
        new(new AddressRange(start, size), "ram", RegionKind.Ram, offset, ReadOnly: readOnly);

    [Fact]
    public void Compute_MergeAPlusBIntoAPrime_DeletesBothThenAdds()
    {
        var old = FlatView.Create([Ram(0, 0x2000, 0), Ram(0x2000, 0x2000, 0x2000, readOnly: true)]); // A [0x0, 0x2000), B [0x2000, 0x4000)
        var now = FlatView.Create([Ram(0, 0x4000, 0)]); // A' [0x0, 0x4000)

        var events = TopologyDiff.Compute(old, now);

        Assert.Equal(
            ["del [0x0..0x2000) ram ram", "del [0x2000..0x4000) ram ram @0x2000 ro", "add [0x0..0x4000) ram ram"],
            events.Select(e => e.ToString()));
    }

    [Fact]
    public void Compute_SplitAIntoAPrimePlusB_DeletesAThenAddsBoth()
    {
        var old = FlatView.Create([Ram(0, 0x4000, 0)]); // A [0x0, 0x4000)
        var now = FlatView.Create([Ram(0, 0x2000, 0), Ram(0x2000, 0x2000, 0x2000, readOnly: true)]); // A' [0x0, 0x2000), B [0x2000, 0x4000)

        var events = TopologyDiff.Compute(old, now);

        Assert.Equal(
            ["del [0x0..0x4000) ram ram", "add [0x0..0x2000) ram ram", "add [0x2000..0x4000) ram ram @0x2000 ro"],
            events.Select(e => e.ToString()));
    }

    [Fact]
    public void Compute_DirtyMaskGained_NopThenLogStart()
    {
        var old = FlatView.Create([Ram(0, 0x1000, 0)]); // [0x0, 0x1000)
        var now = FlatView.Create([Ram(0, 0x1000, 0) with { DirtyLogMask = 0b10 }]);

        var events = TopologyDiff.Compute(old, now);

        Assert.Equal([TopologyEventKind.Nop, TopologyEventKind.LogStart], events.Select(e => e.Kind));
    }

    [Fact]
    public void Render_PamSegmentFlippedReadOnlyInsideMergedRam_SplitsMergedRange()
    {
        // pc.ram shown below 4 GiB; one PAM-like alias of pc.ram at [0xc0000, 0xc4000) can be made read-only.
        var tree = RegionTree.Create(MemoryRegion.Container("system", AddressSpace.End))
            .Define(MemoryRegion.Ram("pc.ram", 0x800_0000))
            .Define(MemoryRegion.Alias("ram-below-4g", "pc.ram", 0, 0x800_0000))
            .AddSubregion("system", "ram-below-4g", 0)
            .Define(MemoryRegion.Alias("pam-c0000", "pc.ram", 0xc0000, 0x4000))
            .AddSubregion("system", "pam-c0000", 0xc0000, priority: 1);

        var merged = tree.Render();
        var flipped = tree.Update("pam-c0000", r => r with { ReadOnly = true }).Render();

        Assert.Single(merged.Ranges); // [0x0, 0x800_0000) pc.ram
        Assert.Equal(
            ["[0x0..0xc0000) ram pc.ram", "[0xc0000..0xc4000) ram pc.ram @0xc0000 ro", "[0xc4000..0x8000000) ram pc.ram @0xc4000"],
            flipped.Ranges.Select(r => r.ToString()));
        Assert.Equal(
            ["del [0x0..0x8000000) ram pc.ram", "add [0x0..0xc0000) ram pc.ram", "add [0xc0000..0xc4000) ram pc.ram @0xc0000 ro", "add [0xc4000..0x8000000) ram pc.ram @0xc4000"],
            TopologyDiff.Compute(merged, flipped).Select(e => e.ToString()));
    }

    [Fact]
    public void Render_EqualPriority_MostRecentlyAddedWins()
    {
        var tree = RegionTree.Create(MemoryRegion.Container("system", AddressSpace.End))
            .Define(MemoryRegion.Ram("first", 0x2000))
            .Define(MemoryRegion.Io("second", 0x2000))
            .AddSubregion("system", "first", 0x1000) // [0x1000, 0x3000)
            .AddSubregion("system", "second", 0x2000); // [0x2000, 0x4000)

        Assert.Equal(
            ["[0x1000..0x2000) ram first", "[0x2000..0x4000) i/o second"],
            tree.Render().Ranges.Select(r => r.ToString()));
    }

    [Fact]
    public void Render_WholeSpaceRegionAtTop_EndsAtTwoToThe64()
    {
        var tree = RegionTree.Create(MemoryRegion.Container("system", AddressSpace.End))
            .Define(MemoryRegion.Io("pci", AddressSpace.End))
            .AddSubregion("system", "pci", 0, priority: -1)
            .Define(MemoryRegion.Ram("top", 0x1000))
            .AddSubregion("system", "top", 0xFFFF_FFFF_FFFF_F000); // [0xffff_ffff_ffff_f000, 2^64)

        var view = tree.Render();

        Assert.Equal(
            ["[0x0..0xfffffffffffff000) i/o pci prio=-1", "[0xfffffffffffff000..0x1_0000_0000_0000_0000) ram top"],
            view.Ranges.Select(r => r.ToString()));
    }

    [Fact]
    public void Create_OverlappingRanges_ThrowsNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => FlatView.Create([Ram(0, 0x2000, 0), Ram(0x1000, 0x2000, 0)]));
        Assert.Equal("ranges", e.ParamName);
        Assert.Contains("ranges 0 [0x0..0x2000) and 1 [0x1000..0x3000) overlap", e.Message, StringComparison.Ordinal);
    }
}
