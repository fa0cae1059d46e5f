using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Verify.Vfio;

/// <summary>
/// An ordered list of MAP/UNMAP ioctls for one container and one transaction, with what it costs: the collateral
/// (pages that keep their translation but lose it for a while), the longest such window, and the live mappings.
/// </summary>
/// <param name="Operations">The ioctls, in the order they must be issued.</param>
/// <param name="CollateralBytes">Bytes of IOVA whose translation is the same before and after the plan but that are
/// unmapped at some moment during it (the DMA window a device can fault in).</param>
/// <param name="LargestWindow">The most ioctls, over collateral pages, from the one that unmaps a page to the one
/// that maps it back (an UNMAP immediately followed by its MAP is 1); 0 when there is no collateral.</param>
/// <param name="LiveMappingsAfter">Live mappings in the container once the plan has run.</param>
/// <param name="PeakLiveMappings">The most live mappings at any point of the plan (before it included).</param>
/// <param name="ExceedsEntryLimit">Whether <paramref name="PeakLiveMappings"/> passes the backend's entry limit: such
/// a plan must be refused as a whole, never half-applied. When its new mappings alone would pass the limit (a fixed
/// granule over a huge section) the planner does not list them: <paramref name="Operations"/> is empty and
/// <paramref name="PeakLiveMappings"/> is the limit plus one, a lower bound.</param>
public sealed record DmaPlan(
    ImmutableArray<DmaOperation> Operations,
    UInt128 CollateralBytes,
    int LargestWindow,
    int LiveMappingsAfter,
    int PeakLiveMappings,
    bool ExceedsEntryLimit)
{
    /// <summary>The plan that does nothing to an empty container.</summary>
    public static DmaPlan Empty { get; } = new([], 0, 0, 0, 0, false);

    /// <summary>Number of ioctls.</summary>
    public int Ioctls => Operations.Length;

    /// <summary>Whether the plan issues no ioctl.</summary>
    public bool IsEmpty => Operations.IsEmpty;

    /// <summary>One operation per line, then a summary line.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var op in Operations)
        {
            text.Append(op.ToString()).AppendLine();
        }

        text.Append(CultureInfo.InvariantCulture,
            $"{Ioctls} ioctls, collateral {AddressRange.FormatEnd(CollateralBytes)} bytes, largest window {LargestWindow}, live {LiveMappingsAfter} (peak {PeakLiveMappings})");
        if (ExceedsEntryLimit)
        {
            text.Append(", exceeds the entry limit: refused");
        }

        return text.ToString();
    }

    /// <summary>Whether two plans issue the same operations in the same order and report the same costs.</summary>
    /// <param name="other">The other plan.</param>
    /// <returns>True when equal by value.</returns>
    public bool Equals(DmaPlan? other) =>
        ReferenceEquals(this, other)
        || (other is not null
            && CollateralBytes == other.CollateralBytes && LargestWindow == other.LargestWindow
            && LiveMappingsAfter == other.LiveMappingsAfter && PeakLiveMappings == other.PeakLiveMappings
            && ExceedsEntryLimit == other.ExceedsEntryLimit && Operations.SequenceEqual(other.Operations));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(CollateralBytes);
        hash.Add(LargestWindow);
        hash.Add(LiveMappingsAfter);
        hash.Add(PeakLiveMappings);
        hash.Add(ExceedsEntryLimit);
        foreach (var op in Operations)
        {
            hash.Add(op);
        }

        return hash.ToHashCode();
    }
}
