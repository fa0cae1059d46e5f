namespace Verify.IommuModel.PageTables;

/// <summary>
/// The kernel's <c>iommu_iotlb_gather</c>: one contiguous IOVA range at one leaf granularity plus the
/// table pages an unmap freed. Adding a range at another granularity, or one that neither overlaps
/// nor touches the gathered range, forces a sync first (the page table does that).
/// </summary>
/// <remarks>Mutable, one per unmap sequence, not thread-safe; a sync empties it.</remarks>
public sealed class UnmapGather
{
    private readonly List<int> _freedTablePages = [];

    /// <summary>Whether nothing has been gathered since the last sync.</summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>First gathered IOVA; meaningless when <see cref="IsEmpty"/>.</summary>
    public ulong Start { get; private set; }

    /// <summary>One past the last gathered IOVA; never before <see cref="Start"/>.</summary>
    public ulong End { get; private set; }

    /// <summary>The leaf size the range was gathered at.</summary>
    public ulong Granule { get; private set; }

    /// <summary>Syncs forced because a new range did not fit (another granule or a gap).</summary>
    public int ForcedSyncs { get; internal set; }

    /// <summary>Table pages freed into this gather, reusable only after its sync.</summary>
    public IReadOnlyList<int> FreedTablePages => _freedTablePages;

    internal bool Fits(ulong iova, ulong size, ulong granule) =>
        IsEmpty || (granule == Granule && iova <= End && iova + size >= Start);

    internal void Add(ulong iova, ulong size, ulong granule)
    {
        if (IsEmpty)
        {
            (Start, End, Granule, IsEmpty) = (iova, iova + size, granule, false);
            return;
        }

        Start = Math.Min(Start, iova);
        End = Math.Max(End, iova + size);
    }

    internal void AddFreedTablePage(int tablePage) => _freedTablePages.Add(tablePage);

    internal void Reset()
    {
        IsEmpty = true;
        (Start, End, Granule) = (0, 0, 0);
        _freedTablePages.Clear();
    }

    /// <inheritdoc/>
    public override string ToString() => IsEmpty
        ? "gather empty"
        : $"gather [0x{Start:x}..0x{End:x}) granule={PageTableText.Size(Granule)} freed-tables={_freedTablePages.Count}";
}
