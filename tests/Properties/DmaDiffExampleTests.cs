using Verify.Harness.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Text;
using Verify.Vfio;

namespace Verify.Properties;

/// <summary>The worked example of docs/diff.md: real QEMU dumps before and after PAM 0xe8000 becomes read-only.</summary>
public class DmaDiffExampleTests
{
    private static FlatView Memory(string file) =>
        MtreeFlatText.Read(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "examples", file)))
            .Sections.First(s => s.AddressSpaces.Any(a => a.Name == "memory")).View;

    [Fact]
    public void ListenerComparison_SeedStoryDumps_ForcedUnmapUnlessSplitCapable()
    {
        var comparison = ListenerComparison.Of(Memory("pam-merged.mtree"), Memory("pam-split.mtree"), DmaOptions.Default);

        var rows = comparison.Rows.ToDictionary(r => r.Name, r => r.Plan);
        UInt128 forced = 0x2000_0000 - 0x4000; // [0x0, 0x2000_0000) minus the segment [0xe8000, 0xec000)
        Assert.Equal((4, forced, 3), (rows["naive"].Ioctls, rows["naive"].CollateralBytes, rows["naive"].LargestWindow));
        Assert.Equal((4, forced, 3), (rows["per-range"].Ioctls, rows["per-range"].CollateralBytes, rows["per-range"].LargestWindow));
        Assert.Equal((UInt128)(0x20_0000 - 0x4000), rows["granule-2M"].CollateralBytes); // the granule [0x0, 0x200000) minus the segment
        Assert.Equal((2, UInt128.Zero, 4), (rows["split-capable"].Ioctls, rows["split-capable"].CollateralBytes, rows["split-capable"].LiveMappingsAfter));
    }
}
