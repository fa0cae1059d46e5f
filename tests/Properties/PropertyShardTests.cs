using Verify.Harness.Running;

namespace Verify.Properties;

public class PropertyShardTests
{
    [Fact]
    public void Select_EveryShardOfFour_DisjointAndCoverTheCatalogue()
    {
        var all = PropertyCatalogue.All;

        var shards = Enumerable.Range(1, 4).Select(i => new PropertyShard(i, 4).Select(all)).ToList();

        Assert.Equal(all.Select(p => p.Id).Order(StringComparer.Ordinal), shards.SelectMany(s => s).Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.All(shards, s => Assert.InRange(s.Count, all.Length / 4, (all.Length / 4) + 1));
    }

    [Fact]
    public void Select_ListInAnotherOrder_GivesTheSameShard()
    {
        var all = PropertyCatalogue.All;

        var forward = new PropertyShard(2, 3).Select(all);
        var backward = new PropertyShard(2, 3).Select(all.Reverse());

        Assert.Equal(forward, backward);
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("2")]
    public void Parse_OutsideOneToN_ThrowsFormatException(string text)
    {
        var error = Assert.Throws<FormatException>(() => PropertyShard.Parse(text));

        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TwoOfFour_IsShardTwoOfFour() => Assert.Equal(new PropertyShard(2, 4), PropertyShard.Parse("2/4"));

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("TRUE", true)]
    public void SavingRequested_OnAndOffWords_ReadAsTheyMean(string? value, bool expected)
    {
        Assert.Equal(expected, Verify.Harness.Execution.RegressionStore.SavingRequested(_ => value));
    }

    [Fact]
    public void SavingRequested_AnythingElse_IsRefusedNamingTheVariable()
    {
        var error = Assert.Throws<FormatException>(() => Verify.Harness.Execution.RegressionStore.SavingRequested(_ => "please"));

        Assert.Equal("VERIFY_SAVE='please': expected 1 (save) or 0 (do not save)", error.Message);
    }
}
