namespace Verify.IommuModel.PageTables;

/// <summary>Access rights of a mapping (the kernel's <c>IOMMU_READ</c> / <c>IOMMU_WRITE</c>).</summary>
[Flags]
public enum Protection
{
    /// <summary>No access; a map with no rights is refused with <see cref="Errno.EINVAL"/>.</summary>
    None = 0,

    /// <summary>The device may read.</summary>
    Read = 1,

    /// <summary>The device may write.</summary>
    Write = 2,

    /// <summary>Read and write.</summary>
    ReadWrite = Read | Write,
}

/// <summary>Short text for protections and sizes, as scenarios print them.</summary>
public static class PageTableText
{
    /// <summary>Prints <c>r</c>, <c>w</c>, <c>rw</c> or <c>none</c>.</summary>
    /// <param name="protection">The rights.</param>
    /// <returns>The short form.</returns>
    public static string Of(Protection protection) => protection switch
    {
        Protection.Read => "r",
        Protection.Write => "w",
        Protection.ReadWrite => "rw",
        _ => "none",
    };

    /// <summary>Prints a size as <c>4K</c>, <c>2M</c>, <c>1G</c>, <c>1T</c> when it is a whole number of
    /// such units, else as hex bytes.</summary>
    /// <param name="size">Bytes.</param>
    /// <returns>The short form.</returns>
    public static string Size(UInt128 size)
    {
        (UInt128 unit, string suffix)[] units = [((UInt128)1 << 40, "T"), (1UL << 30, "G"), (1UL << 20, "M"), (1UL << 10, "K")];
        foreach (var (unit, suffix) in units)
        {
            if (size >= unit && size % unit == 0)
            {
                return $"{size / unit}{suffix}";
            }
        }

        return $"0x{size:x}";
    }
}
