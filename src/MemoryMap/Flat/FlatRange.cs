using System.Globalization;
using System.Text;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Flat;

/// <summary>
/// One range of a rendered <see cref="FlatView"/> (QEMU's <c>FlatRange</c>): an address range, the
/// terminal region it shows, the offset in that region and the attributes OR-ed down the path.
/// </summary>
/// <remarks>
/// <para>Two comparisons come from QEMU and are named after it: <see cref="FlatRangeEqual"/>
/// (<c>flatrange_equal</c>: the dirty-log mask is deliberately not compared) and
/// <see cref="CanMerge"/> (<c>can_merge</c>). Record equality compares every field, <see cref="Priority"/>
/// included, and is what tests use to compare whole views.</para>
/// <para>A ROM renders as read-only <see cref="RegionKind.Ram"/>, as QEMU's <c>memory_region_is_ram</c> sees
/// it and as its text form prints it; <see cref="Kind"/> is never <see cref="RegionKind.Rom"/>,
/// <see cref="RegionKind.Container"/> or <see cref="RegionKind.Alias"/>.</para>
/// </remarks>
/// <param name="Range">The addresses; never empty inside a <see cref="FlatView"/>.</param>
/// <param name="Region">Name of the terminal region shown.</param>
/// <param name="Kind">The terminal region's kind (never Rom, Container or Alias).</param>
/// <param name="OffsetInRegion">Offset in <see cref="Region"/> of <see cref="AddressRange.Start"/>.</param>
/// <param name="ReadOnly">Read-only (OR-ed down the path).</param>
/// <param name="NonVolatile">Non-volatile (OR-ed down the path).</param>
/// <param name="RomdMode">The terminal region's ROM mode (meaningful for ROM devices; true otherwise).</param>
/// <param name="DirtyLogMask">Dirty-logging clients.</param>
/// <param name="Unmergeable">Never merged with a neighbour (OR-ed down the path).</param>
/// <param name="Priority">The terminal region's priority, as <c>info mtree -f</c> prints it; informational.</param>
public readonly record struct FlatRange(
    AddressRange Range,
    string Region,
    RegionKind Kind,
    ulong OffsetInRegion,
    bool ReadOnly = false,
    bool NonVolatile = false,
    bool RomdMode = true,
    byte DirtyLogMask = 0,
    bool Unmergeable = false,
    int Priority = 0)
{
    /// <summary>The region the range shows; empty in <c>default</c>.</summary>
    public string Region { get => field ?? ""; init => field = value; } = Region;

    /// <summary>QEMU's <c>flatrange_equal</c>: same region, range, offset, romd mode, readonly,
    /// nonvolatile and unmergeable. The dirty-log mask is not compared: a mask change is a
    /// <c>region_nop</c> with <c>log_start</c>/<c>log_stop</c>, not a delete and add.</summary>
    /// <param name="a">A range.</param>
    /// <param name="b">A range.</param>
    /// <returns>Whether a listener sees them as the same range.</returns>
    public static bool FlatRangeEqual(in FlatRange a, in FlatRange b) =>
        a.Range == b.Range
        && a.OffsetInRegion == b.OffsetInRegion
        && a.Kind == b.Kind
        && a.RomdMode == b.RomdMode
        && a.ReadOnly == b.ReadOnly
        && a.NonVolatile == b.NonVolatile
        && a.Unmergeable == b.Unmergeable
        // Ranges of one render share the region's name instance, so the ordinal compare rarely runs.
        && (ReferenceEquals(a.Region, b.Region) || string.Equals(a.Region, b.Region, StringComparison.Ordinal));

    /// <summary>QEMU's <c>can_merge(r1, r2)</c> for <paramref name="r1"/> directly before <paramref name="r2"/>:
    /// r1 ends where r2 starts, same region, contiguous offsets, equal dirty mask, romd, readonly and
    /// nonvolatile, and neither is unmergeable.</summary>
    /// <param name="r1">The lower range.</param>
    /// <param name="r2">The range after it.</param>
    /// <returns>Whether simplify merges them.</returns>
    public static bool CanMerge(in FlatRange r1, in FlatRange r2)
    {
        // Whether neighbours merge varies from pair to pair in a real view, so a short-circuit chain
        // mispredicts: the plain comparisons are evaluated together without branches, in 64-bit arithmetic
        // (a size of 2^64 never merges: nothing starts at 2^64, and a sum that wraps is no match). The
        // name goes last: different regions often have names of equal length, which an ordinal compare
        // reads character by character.
        UInt128 size = r1.Range.Size;
        ulong size64 = (ulong)size;
        ulong end = r1.Range.Start + size64;
        ulong offsetEnd = r1.OffsetInRegion + size64;
        bool fields = (size >> 64 == 0)
            & (end == r2.Range.Start) & (end >= r1.Range.Start)
            & (offsetEnd == r2.OffsetInRegion) & (offsetEnd >= r1.OffsetInRegion)
            & (r1.Kind == r2.Kind)
            & (r1.DirtyLogMask == r2.DirtyLogMask)
            & (r1.RomdMode == r2.RomdMode)
            & (r1.ReadOnly == r2.ReadOnly)
            & (r1.NonVolatile == r2.NonVolatile)
            & !(r1.Unmergeable | r2.Unmergeable);
        return fields && (ReferenceEquals(r1.Region, r2.Region) || string.Equals(r1.Region, r2.Region, StringComparison.Ordinal));
    }

    /// <summary>The same range with <see cref="Range"/> replaced; the offset moves with the start.</summary>
    /// <param name="range">A sub-range of <see cref="Range"/>.</param>
    /// <returns>The clipped range.</returns>
    public FlatRange Clip(AddressRange range)
    {
        Preconditions.CheckArgumentRange(Range.Contains(range), range, $"should lie inside {Range}", paramName: nameof(range));
        return this with { Range = range, OffsetInRegion = OffsetInRegion + (range.Start - Range.Start) };
    }

    /// <summary>Prints like one line of <c>info mtree -f</c>, in bracket form:
    /// <c>[0xc0000..0xc4000) ram pc.ram @0xc0000 ro</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Range.ToString()).Append(' ').Append(KindName(Kind)).Append(' ').Append(Region);
        if (OffsetInRegion != 0) { text.Append(CultureInfo.InvariantCulture, $" @0x{OffsetInRegion:x}"); }
        if (ReadOnly) { text.Append(" ro"); }
        if (NonVolatile) { text.Append(" nv"); }
        if (!RomdMode) { text.Append(" romd-off"); }
        if (DirtyLogMask != 0) { text.Append(CultureInfo.InvariantCulture, $" dirty=0x{DirtyLogMask:x}"); }
        if (Unmergeable) { text.Append(" unmergeable"); }
        if (Priority != 0) { text.Append(CultureInfo.InvariantCulture, $" prio={Priority}"); }
        return text.ToString();
    }

    internal static string KindName(RegionKind kind) => kind switch
    {
        RegionKind.Ram => "ram",
        RegionKind.RomDevice => "romd",
        RegionKind.RamDevice => "ramd",
        RegionKind.Io => "i/o",
        RegionKind.Iommu => "iommu",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
