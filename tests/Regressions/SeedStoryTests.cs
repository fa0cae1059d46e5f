using Verify.Harness.Layouts;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Regressions;

/// <summary>The stories the project started from (the seed mails; docs/semantics.md tells the behaviour they are about), as named cases on a realistic pc.</summary>
public class SeedStoryTests
{
    private static readonly MachineLayout Pc = MachineLayout.Pc(512UL << 20);

    /// <summary>Firmware shadows the BIOS: every PAM segment to RAM, so pc.ram becomes one merged range.</summary>
    private static RegionTreeState ShadowedBios()
    {
        var tree = Pc.Tree;
        for (int s = 0; s < Pc.PamSegments.Length; s++)
        {
            tree = new LayoutOperation.SetPam(s, PamMode.ReadWrite).ApplyTo(Pc, tree);
        }

        return new RegionTreeState(tree.Render(), tree);
    }

    [Fact]
    public void Render_AllPamSegmentsRam_PcRamMergesFromZeroToVgaAndFromC0000ToEndOfRam()
    {
        var view = ShadowedBios().View;

        var ram = view.Ranges.Where(r => r.Region == "pc.ram").Select(r => r.Range.ToString());
        Assert.Equal(["[0x0..0xa0000)", "[0xc0000..0x20000000)"], ram); // [0x0, 0xa0000) and [0xc0000, 0x2000_0000)
    }

    [Fact]
    public void Compute_PamSegmentE8000MadeReadOnlyInsideMergedRam_DeletesMergedRangeAndAddsThree()
    {
        var before = ShadowedBios();
        int segment = Pc.PamSegments.IndexOf(0xe8000UL);
        var after = new LayoutOperation.SetPam(segment, PamMode.ReadOnly).ApplyTo(Pc, before.Tree).Render();

        var events = TopologyDiff.Changes(before.View, after);

        // The seed story: one 16 KiB segment changes, but the listener sees the whole merged RAM range go away.
        Assert.Equal(
            [
                "del [0xc0000..0x20000000) ram pc.ram @0xc0000",
                "add [0xc0000..0xe8000) ram pc.ram @0xc0000",
                "add [0xe8000..0xec000) ram pc.ram @0xe8000 ro",
                "add [0xec000..0x20000000) ram pc.ram @0xec000",
            ],
            events.Select(e => e.ToString()));
        Assert.Equal((UInt128)(0x2000_0000 - 0xc0000), events[0].Range.Range.Size);
    }

    [Fact]
    public void Compute_PamSegmentE8000BackToRam_DeletesThreeAndAddsMergedRange()
    {
        var shadowed = ShadowedBios();
        int segment = Pc.PamSegments.IndexOf(0xe8000UL);
        var readOnly = new LayoutOperation.SetPam(segment, PamMode.ReadOnly).ApplyTo(Pc, shadowed.Tree);

        var events = TopologyDiff.Changes(readOnly.Render(), shadowed.View);

        // A + B + C -> A': three deletes, then one add of the merged range (SEMANTICS 2.3's worked merge).
        Assert.Equal([TopologyEventKind.Delete, TopologyEventKind.Delete, TopologyEventKind.Delete, TopologyEventKind.Add], events.Select(e => e.Kind));
        Assert.Equal(AddressRange.FromBounds(0xc0000, 0x2000_0000), events[3].Range.Range); // [0xc0000, 0x2000_0000)
    }

    private sealed record RegionTreeState(FlatView View, Verify.MemoryMap.Regions.RegionTree Tree);
}
