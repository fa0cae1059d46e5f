using System.Globalization;

namespace Verify.Vfio;

/// <summary>
/// A run of IOVA pages that translate linearly to host memory: IOVA <c>Iova.Start + k</c> reaches offset
/// <c>Offset + k</c> of the RAM block of <see cref="Region"/>. Used both for the DMA-visible map of a view
/// (a segment) and for a live mapping in a container (what one MAP created).
/// </summary>
/// <remarks>The host virtual address is the RAM block's base plus the offset, so two pages have the same
/// translation exactly when region, offset and writability are equal; no host address is invented.</remarks>
/// <param name="Iova">The IOVA range; never empty.</param>
/// <param name="Region">The RAM or ram-device region whose memory is reached.</param>
/// <param name="Offset">Offset in the region of <c>Iova.Start</c>.</param>
/// <param name="Writable">Whether the device may write (false for read-only sections).</param>
public readonly record struct DmaMapping(AddressRange Iova, string Region, ulong Offset, bool Writable)
{
    /// <summary>The region whose memory the IOVA range shows; empty in <c>default</c>.</summary>
    public string Region { get => field ?? ""; init => field = value; } = Region;

    /// <summary>What <paramref name="iova"/> translates to, assuming it lies inside <see cref="Iova"/>.</summary>
    /// <param name="iova">An address inside the mapping.</param>
    /// <returns>The translation.</returns>
    public DmaTranslation TranslationAt(ulong iova) => new(Region, Offset + (iova - Iova.Start), Writable);

    /// <summary>The part of this mapping inside <paramref name="range"/> (which must lie inside it).</summary>
    /// <param name="range">A sub-range of <see cref="Iova"/>.</param>
    /// <returns>The clipped mapping.</returns>
    public DmaMapping Clip(AddressRange range)
    {
        Preconditions.CheckArgumentRange(Iova.Contains(range) && !range.IsEmpty, range, $"should be a non-empty part of {Iova}", nameof(range));
        return this with { Iova = range, Offset = Offset + (range.Start - Iova.Start) };
    }

    /// <summary>Whether <paramref name="next"/> continues this mapping: adjacent IOVA, same region and
    /// writability, contiguous offsets.</summary>
    /// <param name="next">A mapping that starts where this one ends.</param>
    /// <returns>Whether one mapping could cover both.</returns>
    public bool IsContinuedBy(in DmaMapping next) =>
        Iova.End == next.Iova.Start && Writable == next.Writable && (UInt128)Offset + Iova.Size == next.Offset
        && string.Equals(Region, next.Region, StringComparison.Ordinal);

    /// <summary>Prints <c>[0xc0000..0xc4000) -> pc.ram@0xc0000 rw</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Iova} -> {Region}@0x{Offset:x} {(Writable ? "rw" : "ro")}");
}
