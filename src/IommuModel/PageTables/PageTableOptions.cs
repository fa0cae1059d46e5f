namespace Verify.IommuModel.PageTables;

/// <summary>
/// Every variant a page table and its IOTLB can take (docs/semantics.md section 8), as a plain record.
/// </summary>
public sealed record PageTableOptions
{
    /// <summary>Default threshold of <see cref="InvalidationMode.WholeDomainAboveThreshold"/>: SMMUv3's
    /// <c>CMDQ_MAX_TLBI_OPS</c> for a 4 KiB page (512 commands).</summary>
    public const int DefaultWholeDomainThreshold = 512;

    /// <summary>x86-64, split, EEXIST, destroy sub-table, per-leaf strict.</summary>
    public static PageTableOptions Default { get; } = new();

    /// <summary>The hardware format.</summary>
    public PageTableFormat Format { get; init; } = PageTableFormat.X86_64;

    /// <summary>Partial-leaf unmap behaviour.</summary>
    public SplitPolicy Split { get; init; } = SplitPolicy.Split;

    /// <summary>Map over a live leaf.</summary>
    public LiveLeafPolicy LiveLeaf { get; init; } = LiveLeafPolicy.Eexist;

    /// <summary>Map of a leaf over a sub-table.</summary>
    public SubTablePolicy SubTable { get; init; } = SubTablePolicy.DestroySubTable;

    /// <summary>How syncs become commands.</summary>
    public InvalidationMode Invalidation { get; init; } = InvalidationMode.PerLeaf;

    /// <summary>Strict or lazy (flush queue).</summary>
    public FlushMode Flush { get; init; } = FlushMode.Strict;

    /// <summary>Commands at or above which <see cref="InvalidationMode.WholeDomainAboveThreshold"/> flushes the domain; at least 1.</summary>
    public int WholeDomainThreshold { get; init; } = DefaultWholeDomainThreshold;

    /// <summary>Most table pages that may exist at once (live, awaiting sync and free), top table included;
    /// <see langword="null"/> for no limit. A map that needs more fails with <see cref="Errno.ENOMEM"/>.</summary>
    public int? MaxTablePages { get; init; }

    /// <summary>A deliberate bug (harness only); <see cref="PageTableBug.None"/> in every correct variant.</summary>
    internal PageTableBug Bug { get; init; } = PageTableBug.None;

    /// <inheritdoc/>
    public override string ToString()
    {
        string text = $"{Format.Name} split={Split} live-leaf={LiveLeaf} sub-table={SubTable} invalidation={Invalidation} {Flush.ToString().ToLowerInvariant()}";
        if (Invalidation == InvalidationMode.WholeDomainAboveThreshold)
        {
            text += $" threshold={WholeDomainThreshold}";
        }

        if (MaxTablePages is { } max)
        {
            text += $" max-table-pages={max}";
        }

        return Bug == PageTableBug.None ? text : text + $" BUG={Bug}";
    }
}
