using Verify.IommuModel;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Properties;

/// <summary>House rules for the page-table vocabulary.</summary>
public class PageTableVocabularyTests
{
    [Fact]
    public void PublicStructs_PageTableNamespace_AreReadonly()
    {
        var structs = typeof(IoPageTable).Assembly.GetExportedTypes()
            .Where(t => t.IsValueType && !t.IsEnum && t.Namespace == "Verify.IommuModel.PageTables")
            .ToList();

        Assert.NotEmpty(structs);
        Assert.All(structs, t => Assert.True(
            t.GetCustomAttributes(false).Any(a => a.GetType().Name == "IsReadOnlyAttribute"), $"{t.Name} should be a readonly struct"));
    }

    [Fact]
    public void Errno_LinuxValues_MatchTheKernel()
    {
        Assert.Equal(17, (int)Errno.EEXIST);
        Assert.Equal(22, (int)Errno.EINVAL);
        Assert.Equal(98, (int)Errno.EADDRINUSE);
        Assert.Equal(75, (int)Errno.EOVERFLOW);
        Assert.Equal(12, (int)Errno.ENOMEM);
    }

    [Theory]
    [InlineData(0x1000UL, "4K")]
    [InlineData(0x20_0000UL, "2M")]
    [InlineData(0x4000_0000UL, "1G")]
    [InlineData(0x1_0000_0000_0000UL, "256T")]
    [InlineData(0x1800UL, "6K")]
    [InlineData(0x1801UL, "0x1801")]
    public void Size_CommonSizes_PrintShort(ulong size, string expected) =>
        Assert.Equal(expected, PageTableText.Size(size));

    [Fact]
    public void LevelOf_SizeNotInBitmap_ThrowsNamingPageSize()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PageTableFormat.ArmLpae64K.LevelOf(0x20_0000));
        Assert.Equal("pageSize", e.ParamName);
    }
}
