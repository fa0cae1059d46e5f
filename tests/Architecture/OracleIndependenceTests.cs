namespace Verify.Architecture;

public class OracleIndependenceTests
{
    private static string OraclePath => typeof(Verify.Oracle.MemoryMap.RegionTreePainter).Assembly.Location;

    private static string HarnessPath => typeof(Verify.Harness.Core.Verdict).Assembly.Location;

    [Fact]
    public void The_oracle_uses_only_vocabulary_of_the_libraries_it_judges()
    {
        using var scan = new MetadataScan(OraclePath);
        var borrowed = scan.MembersUsedFrom([.. OracleVocabulary.Libraries]).Where(m => !OracleVocabulary.Allows(m)).ToList();
        Assert.True(borrowed.Count == 0,
            "src/Oracle calls model code outside the vocabulary (tests/Architecture/OracleVocabulary.cs):\n" + string.Join("\n", borrowed));
    }

    // A scan that finds nothing would pass the test above vacuously: the harness does call the model's algorithms
    // (it drives them), and the same scan must see those calls and judge them not vocabulary.
    [Theory]
    [InlineData("Verify.MemoryMap.Flat.FlatView::Simplify")]
    [InlineData("Verify.MemoryMap.Regions.RegionTree::Render")]
    [InlineData("Verify.IommuModel.Type1.Type1Container::MapDma")]
    public void The_scan_sees_and_refuses_a_model_algorithm_where_one_is_called(string member)
    {
        using var scan = new MetadataScan(HarnessPath);
        var used = scan.MembersUsedFrom([.. OracleVocabulary.Libraries]);
        Assert.Contains(member, used);
        Assert.False(OracleVocabulary.Allows(member));
    }

    [Fact]
    public void The_oracle_does_use_the_vocabulary()
    {
        using var scan = new MetadataScan(OraclePath);
        var used = scan.MembersUsedFrom([.. OracleVocabulary.Libraries]);
        Assert.Contains("Verify.MemoryMap.Flat.FlatRange::get_Range", used);
        Assert.Contains("Verify.MemoryMap.Flat.FlatView::get_Ranges", used);
    }
}
