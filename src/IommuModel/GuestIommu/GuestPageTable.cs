using System.Collections.Immutable;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// One guest IOMMU domain's page table as the guest programs it: guest IOVA to guest physical address, 4 KiB
/// page granularity, kept as non-overlapping <see cref="GuestLeaf"/>s sorted by IOVA.
/// </summary>
/// <remarks>Immutable and thread safe; a change returns a new table. <see cref="Map"/> and <see cref="Unmap"/> cost
/// O(k log n) for k leaves touched.</remarks>
public sealed class GuestPageTable
{
    /// <summary>The guest page size.</summary>
    public const ulong PageSize = 0x1000;

    /// <summary>The VT-d superpage size the guest driver uses when IOVA and guest physical address allow it.</summary>
    public const ulong SuperpageSize = 0x20_0000;

    private readonly ImmutableSortedDictionary<ulong, GuestLeaf> _leaves;

    private GuestPageTable(ImmutableSortedDictionary<ulong, GuestLeaf> leaves) => _leaves = leaves;

    /// <summary>The table with nothing mapped.</summary>
    public static GuestPageTable Empty { get; } = new(ImmutableSortedDictionary<ulong, GuestLeaf>.Empty);

    /// <summary>Every leaf, ascending by IOVA.</summary>
    public IEnumerable<GuestLeaf> Leaves => _leaves.Values;

    /// <summary>Number of leaves.</summary>
    public int Count => _leaves.Count;

    /// <summary>The leaves that overlap <paramref name="range"/>, ascending.</summary>
    /// <param name="range">Any range.</param>
    /// <returns>The leaves.</returns>
    public IEnumerable<GuestLeaf> LeavesIn(AddressRange range) =>
        _leaves.Values.SkipWhile(l => l.Iova.End <= range.Start).TakeWhile(l => l.Iova.Start < range.End).Where(l => l.Iova.Overlaps(range));

    /// <summary>The leaf translating <paramref name="iova"/>, if any.</summary>
    /// <param name="iova">A guest IOVA.</param>
    /// <returns>The leaf or null.</returns>
    public GuestLeaf? LeafAt(ulong iova)
    {
        foreach (var leaf in LeavesIn(new AddressRange(iova, 1)))
        {
            return leaf;
        }

        return null;
    }

    /// <summary>
    /// Maps <paramref name="iova"/> to guest physical memory from <paramref name="gpa"/>. VT-d splits the range into
    /// 2 MiB leaves where both addresses are 2 MiB aligned and 4 KiB leaves elsewhere; virtio-iommu keeps it as one
    /// interval. A range overlapping a present leaf is refused under both.
    /// </summary>
    /// <param name="kind">Whose rules apply.</param>
    /// <param name="addressWidth">The guest IOMMU's address width in bits.</param>
    /// <param name="iova">The IOVA range; page aligned, non-empty.</param>
    /// <param name="gpa">Guest physical address of its start; page aligned.</param>
    /// <param name="writable">Whether the device may write.</param>
    /// <param name="table">The table after the request (this table when refused).</param>
    /// <returns>The result; <see cref="GuestResult.Changed"/> is <paramref name="iova"/>.</returns>
    public GuestResult Map(GuestIommuKind kind, int addressWidth, AddressRange iova, ulong gpa, bool writable, out GuestPageTable table)
    {
        table = this;
        var refusal = CheckRange(addressWidth, iova);
        if (refusal == GuestRefusal.None && (gpa % PageSize != 0 || (UInt128)gpa + iova.Size > AddressSpace.End))
        {
            refusal = GuestRefusal.Misaligned;
        }

        if (refusal == GuestRefusal.None && LeavesIn(iova).Any())
        {
            refusal = GuestRefusal.Overlap;
        }

        if (refusal != GuestRefusal.None)
        {
            return GuestResult.Refused(refusal);
        }

        var builder = _leaves.ToBuilder();
        foreach (var leaf in kind == GuestIommuKind.VirtioIommu ? [new GuestLeaf(iova, gpa, writable)] : VtdLeaves(iova, gpa, writable))
        {
            builder.Add(leaf.Iova.Start, leaf);
        }

        table = new GuestPageTable(builder.ToImmutable());
        return new GuestResult(GuestRefusal.None, iova);
    }

    /// <summary>
    /// Unmaps <paramref name="iova"/>. VT-d removes every leaf the range touches, whole (the guest driver unmaps a
    /// superpage entirely rather than splitting it); virtio-iommu refuses a range that would split an interval and
    /// otherwise removes the intervals inside it. Holes are fine.
    /// </summary>
    /// <param name="kind">Whose rules apply.</param>
    /// <param name="addressWidth">The guest IOMMU's address width in bits.</param>
    /// <param name="iova">The IOVA range; page aligned, non-empty.</param>
    /// <param name="table">The table after the request (this table when refused).</param>
    /// <returns>The result; <see cref="GuestResult.Changed"/> spans the removed leaves (empty when none).</returns>
    public GuestResult Unmap(GuestIommuKind kind, int addressWidth, AddressRange iova, out GuestPageTable table)
    {
        table = this;
        var refusal = CheckRange(addressWidth, iova);
        if (refusal != GuestRefusal.None)
        {
            return GuestResult.Refused(refusal);
        }

        var touched = LeavesIn(iova).ToList();
        if (kind == GuestIommuKind.VirtioIommu && touched.Any(l => !iova.Contains(l.Iova)))
        {
            return GuestResult.Refused(GuestRefusal.SplitsInterval);
        }

        if (touched.Count == 0)
        {
            return new GuestResult(GuestRefusal.None, default);
        }

        table = new GuestPageTable(_leaves.RemoveRange(touched.Select(l => l.Iova.Start)));
        return new GuestResult(GuestRefusal.None, AddressRange.FromBounds(touched[0].Iova.Start, touched[^1].Iova.End));
    }

    /// <inheritdoc/>
    public override string ToString() => Count == 0 ? "(empty)" : string.Join(", ", Leaves);

    private static GuestRefusal CheckRange(int addressWidth, AddressRange iova)
    {
        if (iova.IsEmpty || iova.Start % PageSize != 0 || iova.Size % PageSize != 0)
        {
            return GuestRefusal.Misaligned;
        }

        return iova.End > (UInt128)1 << addressWidth ? GuestRefusal.OutsideAddressWidth : GuestRefusal.None;
    }

    private static IEnumerable<GuestLeaf> VtdLeaves(AddressRange iova, ulong gpa, bool writable)
    {
        ulong at = iova.Start;
        while (at < iova.End)
        {
            ulong target = gpa + (at - iova.Start);
            ulong size = at % SuperpageSize == 0 && target % SuperpageSize == 0 && iova.End - at >= SuperpageSize ? SuperpageSize : PageSize;
            yield return new GuestLeaf(new AddressRange(at, size), target, writable);
            at += size;
        }
    }
}
