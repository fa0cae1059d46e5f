using Verify.MemoryMap.Regions;

namespace Verify.Properties;

// A caller who names a region that is not there gets an ArgumentException naming the region and the argument, as
// the members document; a lookup through the indexer is the one place a KeyNotFoundException is the contract.
public class RegionTreeArgumentTests
{
    private static readonly RegionTree Tree = RegionTree.Create(MemoryRegion.Container("sysmem", 0x100000))
        .Define(MemoryRegion.Ram("ram", 0x1000));

    [Theory]
    [InlineData("nowhere", "ram", "parent")]
    [InlineData("sysmem", "nothing", "child")]
    public void AddSubregion_of_an_undefined_region_names_it(string parent, string child, string argument)
    {
        var e = Assert.Throws<ArgumentException>(() => Tree.AddSubregion(parent, child, 0));
        Assert.Equal(argument, e.ParamName);
        Assert.Contains($"'{(argument == "parent" ? parent : child)}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_of_an_undefined_region_names_it()
    {
        var e = Assert.Throws<ArgumentException>(() => Tree.Update("ghost", r => r));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("'ghost'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_with_a_root_that_has_subregions_is_an_argument_error_naming_the_root()
    {
        var root = MemoryRegion.Container("busy", 0x1000) with { Subregions = [new Subregion("x", 0, 0, 0)] };
        var e = Assert.Throws<ArgumentException>(() => RegionTree.Create(root));
        Assert.IsNotAssignableFrom<ArgumentOutOfRangeException>(e);
        Assert.Contains("'busy'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_with_an_alias_root_is_an_argument_error_naming_the_root()
    {
        var e = Assert.Throws<ArgumentException>(() => RegionTree.Create(MemoryRegion.Alias("a", "t", 0, 0x1000)));
        Assert.IsNotAssignableFrom<ArgumentOutOfRangeException>(e);
        Assert.Contains("'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_indexer_reports_a_missing_name_as_not_found()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => Tree["ghost"]);
        Assert.Contains("'ghost'", e.Message, StringComparison.Ordinal);
    }
}
