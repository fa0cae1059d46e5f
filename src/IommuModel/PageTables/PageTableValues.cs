namespace Verify.IommuModel.PageTables;

/// <summary>What a map returned: the errno (<see cref="Errno.None"/> on success) and the bytes now mapped
/// by this call (0 on failure, because a failed map is rolled back).</summary>
/// <param name="Error">The kernel's error, or <see cref="Errno.None"/>.</param>
/// <param name="Mapped">Bytes mapped; 0 unless <paramref name="Error"/> is <see cref="Errno.None"/>.</param>
public readonly record struct MapResult(Errno Error, ulong Mapped)
{
    /// <summary>Whether the map succeeded.</summary>
    public bool Succeeded => Error == Errno.None;

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"ok {PageTableText.Size(Mapped)}" : Error.ToString();
}

/// <summary>One leaf translation: the IOVA range a leaf PTE covers, its physical base and rights.</summary>
/// <param name="Iova">First IOVA, aligned to <paramref name="Size"/>.</param>
/// <param name="Size">The leaf's page size.</param>
/// <param name="Pa">Physical address of <paramref name="Iova"/>.</param>
/// <param name="Protection">Access rights.</param>
public readonly record struct PageTableLeaf(ulong Iova, ulong Size, ulong Pa, Protection Protection)
{
    /// <summary>One past the last IOVA of the leaf.</summary>
    public UInt128 End => (UInt128)Iova + Size;

    /// <inheritdoc/>
    public override string ToString() =>
        $"leaf iova=0x{Iova:x} pa=0x{Pa:x} size={PageTableText.Size(Size)} {PageTableText.Of(Protection)}";
}

/// <summary>Where one IOVA leads: the physical address and the rights.</summary>
/// <param name="Pa">Physical address of the byte.</param>
/// <param name="Protection">Access rights.</param>
public readonly record struct Translation(ulong Pa, Protection Protection)
{
    /// <inheritdoc/>
    public override string ToString() => $"0x{Pa:x} {PageTableText.Of(Protection)}";
}

/// <summary>
/// One store of a PTE word, as a device could observe it. <see cref="Reachable"/> says whether the
/// table page was linked into the live tree at the time of the store (a split fills a new table
/// before the one store that links it).
/// </summary>
/// <param name="Sequence">0-based number of the store since the table was created.</param>
/// <param name="TablePage">The table page's id.</param>
/// <param name="Index">The entry index in the table page.</param>
/// <param name="Level">The level of the table page (0 = smallest leaves).</param>
/// <param name="Iova">First IOVA the entry covers.</param>
/// <param name="Span">Bytes the entry covers.</param>
/// <param name="OldValue">The word before.</param>
/// <param name="NewValue">The word after.</param>
/// <param name="Reachable">Whether the table page is linked from the top table.</param>
public readonly record struct PteStore(
    long Sequence, int TablePage, int Index, int Level, ulong Iova, ulong Span, ulong OldValue, ulong NewValue, bool Reachable)
{
    /// <summary>Whether the new word links a table page (so translations below it come from that table).</summary>
    public bool LinksTable => (NewValue & IoPageTable.TableBit) != 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"store #{Sequence} table {TablePage}[{Index}] level {Level} iova=0x{Iova:x} span={PageTableText.Size(Span)} 0x{OldValue:x} -> 0x{NewValue:x}{(Reachable ? "" : " (unlinked)")}";
}

/// <summary>The kind of an IOTLB invalidation command.</summary>
public enum InvalidationKind
{
    /// <summary>One leaf of the command's granule.</summary>
    Leaf,

    /// <summary>A range at one granule (SMMUv3.2 scale/num).</summary>
    Range,

    /// <summary>Everything the domain caches (ASID / domain-selective flush).</summary>
    WholeDomain,
}

/// <summary>
/// Invalidation commands sent to the IOMMU for one range: <see cref="Count"/> per-leaf commands, one
/// range command, or one whole-domain flush. Per-leaf commands are logged as one record with a count
/// so that 262,144 of them do not take 262,144 records.
/// </summary>
/// <param name="Kind">Leaf, range or whole domain.</param>
/// <param name="Iova">First IOVA (0 for a whole-domain flush).</param>
/// <param name="Size">Bytes covered (0 for a whole-domain flush).</param>
/// <param name="Granule">The leaf size the range was gathered at.</param>
/// <param name="Count">Commands this record stands for; at least 1.</param>
public readonly record struct InvalidationCommand(InvalidationKind Kind, ulong Iova, ulong Size, ulong Granule, long Count)
{
    /// <inheritdoc/>
    public override string ToString() => Kind == InvalidationKind.WholeDomain
        ? "inv whole-domain"
        : $"inv {Kind.ToString().ToLowerInvariant()} x{Count} iova=0x{Iova:x} size={PageTableText.Size(Size)} granule={PageTableText.Size(Granule)}";
}

/// <summary>A range an update left without translation for a while (a DMA window).</summary>
/// <param name="Iova">First IOVA.</param>
/// <param name="Size">Bytes.</param>
public readonly record struct DmaWindow(ulong Iova, ulong Size)
{
    /// <summary>Whether the window holds <paramref name="address"/>.</summary>
    /// <param name="address">An IOVA.</param>
    /// <returns><see langword="true"/> inside.</returns>
    public bool Contains(ulong address) => address >= Iova && address - Iova < Size;

    /// <inheritdoc/>
    public override string ToString() => $"window [0x{Iova:x}..0x{(UInt128)Iova + Size:x})";
}
