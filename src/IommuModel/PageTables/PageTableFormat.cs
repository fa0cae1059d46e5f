using System.Numerics;

namespace Verify.IommuModel.PageTables;

/// <summary>
/// The geometry of one hardware page-table format (docs/semantics.md 4.1): granule, bits resolved per
/// level, number of levels, input address width and the levels that may hold leaves. Level 0 is
/// the leaf level of the smallest page; the top level is <see cref="Levels"/> - 1.
/// </summary>
/// <remarks>Immutable; the five formats the project models are static properties.</remarks>
public sealed record PageTableFormat
{
    private PageTableFormat(string name, int granuleShift, int bitsPerLevel, int levels, int addressBits, int leafLevelMask)
    {
        Name = name;
        GranuleShift = granuleShift;
        BitsPerLevel = bitsPerLevel;
        Levels = levels;
        AddressBits = addressBits;
        LeafLevelMask = leafLevelMask;
        ulong bitmap = 0;
        for (int level = 0; level < levels; level++)
        {
            if ((leafLevelMask & (1 << level)) != 0)
            {
                bitmap |= 1UL << LevelShift(level);
            }
        }

        PageSizeBitmap = bitmap;
        PageSizes = [.. Enumerable.Range(0, 64).Where(s => (bitmap & (1UL << s)) != 0).Select(s => 1UL << s)];
    }

    /// <summary>x86-64 / VT-d second level: 4 levels, 4K/2M/1G leaves, 48-bit input.</summary>
    public static PageTableFormat X86_64 { get; } = new("x86-64", 12, 9, 4, 48, 0b0111);

    /// <summary>x86-64 with 5-level paging: 4K/2M/1G leaves, 57-bit input.</summary>
    public static PageTableFormat X86_64FiveLevel { get; } = new("x86-64-5level", 12, 9, 5, 57, 0b0111);

    /// <summary>ARM LPAE, 4 KiB granule: 4K/2M/1G leaves, 48-bit input.</summary>
    public static PageTableFormat ArmLpae4K { get; } = new("arm-lpae-4k", 12, 9, 4, 48, 0b0111);

    /// <summary>ARM LPAE, 16 KiB granule: 16K/32M leaves, 48-bit input (2048-entry tables; the top table has 2 entries).</summary>
    public static PageTableFormat ArmLpae16K { get; } = new("arm-lpae-16k", 14, 11, 4, 48, 0b0011);

    /// <summary>ARM LPAE, 64 KiB granule: 64K/512M leaves, 48-bit input (8192-entry tables; the top table has 64 entries).</summary>
    public static PageTableFormat ArmLpae64K { get; } = new("arm-lpae-64k", 16, 13, 3, 48, 0b0011);

    /// <summary>Every modelled format.</summary>
    public static IReadOnlyList<PageTableFormat> All { get; } = [X86_64, X86_64FiveLevel, ArmLpae4K, ArmLpae16K, ArmLpae64K];

    /// <summary>The format's name as scenarios print it.</summary>
    public string Name { get; }

    /// <summary>log2 of the smallest page (12, 14 or 16).</summary>
    public int GranuleShift { get; }

    /// <summary>Index bits each table level resolves (9, 11 or 13).</summary>
    public int BitsPerLevel { get; }

    /// <summary>Number of table levels, top included.</summary>
    public int Levels { get; }

    /// <summary>Input (IOVA) address width in bits; every mapped address is below 2^AddressBits.</summary>
    public int AddressBits { get; }

    /// <summary>Bit <c>k</c> set when level <c>k</c> may hold a leaf.</summary>
    public int LeafLevelMask { get; }

    /// <summary>The page-size bitmap the domain advertises: bit <c>s</c> set when 2^s is a leaf size.</summary>
    public ulong PageSizeBitmap { get; }

    /// <summary>Output (physical) address width in bits: every mapped physical address is below 2^52 (LPAE / VT-d maximum).</summary>
    public int PhysicalAddressBits => 52;

    /// <summary>The smallest page size.</summary>
    public ulong Granule => 1UL << GranuleShift;

    /// <summary>Entries in a table page below the top level (512, 2048 or 8192).</summary>
    public int EntriesPerTable => 1 << BitsPerLevel;

    /// <summary>Entries in the top-level table (fewer when the address width does not fill it).</summary>
    public int TopEntries => 1 << (AddressBits - LevelShift(Levels - 1));

    /// <summary>One past the highest IOVA: 2^AddressBits.</summary>
    public ulong AddressLimit => 1UL << AddressBits;

    /// <summary>The leaf sizes, smallest first.</summary>
    public IReadOnlyList<ulong> PageSizes { get; }

    /// <summary>log2 of the span one entry at <paramref name="level"/> covers.</summary>
    /// <param name="level">0 .. <see cref="Levels"/> - 1.</param>
    /// <returns>The shift.</returns>
    public int LevelShift(int level) => GranuleShift + (level * BitsPerLevel);

    /// <summary>Whether <paramref name="level"/> may hold a leaf.</summary>
    /// <param name="level">A level.</param>
    /// <returns><see langword="true"/> for a leaf level.</returns>
    public bool IsLeafLevel(int level) => level >= 0 && level < Levels && (LeafLevelMask & (1 << level)) != 0;

    /// <summary>The level whose entries are leaves of <paramref name="pageSize"/>.</summary>
    /// <param name="pageSize">A size in <see cref="PageSizeBitmap"/>.</param>
    /// <returns>The level.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a leaf size of this format.</exception>
    public int LevelOf(ulong pageSize)
    {
        if (!BitOperations.IsPow2(pageSize) || (PageSizeBitmap & pageSize) == 0)
        {
            Preconditions.Throw(nameof(pageSize), pageSize, $"should be a leaf size of {Name} (bitmap 0x{PageSizeBitmap:x})");
        }

        return (BitOperations.Log2(pageSize) - GranuleShift) / BitsPerLevel;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
