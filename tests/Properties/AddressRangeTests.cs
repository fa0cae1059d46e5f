using Verify.MemoryMap;

namespace Verify.Properties;

public class AddressRangeTests
{
    [Fact]
    public void FromBounds_EndAtTwoToThe64_SizeIsTwoToThe64MinusStart()
    {
        var range = AddressRange.FromBounds(0xFFFF_FFFF_FFFF_F000, AddressSpace.End); // [0xffff_ffff_ffff_f000, 2^64)
        Assert.Equal((UInt128)0x1000, range.Size);
        Assert.True(range.EndsAtTop);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFFUL, range.Last);
    }

    [Fact]
    public void WholeSpace_SizeIsTwoToThe64_NotEmpty()
    {
        Assert.Equal(AddressSpace.End, AddressRange.WholeSpace.Size);
        Assert.False(AddressRange.WholeSpace.IsEmpty);
        Assert.Equal("[0x0..0x1_0000_0000_0000_0000)", AddressRange.WholeSpace.ToString());
    }

    [Fact]
    public void Default_IsEmptyAtZero()
    {
        AddressRange range = default;
        Assert.True(range.IsEmpty);
        Assert.Equal(0UL, range.Start);
        Assert.Equal(new AddressRange(0, 0), range);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFEUL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL)]
    public void Constructor_SizePastTop_ThrowsNamingSize(ulong start)
    {
        UInt128 tooBig = AddressSpace.End - start + 1;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AddressRange(start, tooBig));
        Assert.Equal("size", e.ParamName);
    }

    [Fact]
    public void FromBounds_EndBeforeStart_ThrowsNamingEnd()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => AddressRange.FromBounds(0x2000, 0x1000));
        Assert.Equal("end", e.ParamName);
    }

    [Fact]
    public void Overlaps_EmptyRange_NeverOverlaps()
    {
        var range = new AddressRange(0x1000, 0x1000); // [0x1000, 0x2000)
        Assert.False(range.Overlaps(new AddressRange(0x1800, 0))); // [0x1800, 0x1800)
        Assert.True(range.Touches(new AddressRange(0x2000, 0x1000))); // [0x2000, 0x3000)
        Assert.False(range.Overlaps(new AddressRange(0x2000, 0x1000))); // [0x2000, 0x3000)
    }

    [Fact]
    public void PublicStructs_AreReadOnly()
    {
        var structs = typeof(AddressRange).Assembly.GetExportedTypes().Where(t => t.IsValueType && !t.IsEnum);
        foreach (var type in structs)
        {
            Assert.True(type.IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute), false), $"{type} should be a readonly struct");
        }
    }
}
