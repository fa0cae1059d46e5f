using Verify.IommuModel.PageTables;

namespace Verify.Oracle.PageTables;

/// <summary>
/// The invalidation cost model of docs/semantics.md 4.5 written out: removed pieces gather into one range
/// at one granule; a piece at another granule or past a gap closes the gather (a forced sync); a sync
/// closes it too. Each closed gather costs, strict: per-leaf one command per granule, range one
/// command, whole-domain one command once per-leaf would reach the threshold; lazy: nothing until the
/// queue flush, which costs one command if anything was queued. A map that replaced live entries costs
/// one command. Freeing a table page adds no command: the gather's range command is a non-leaf
/// invalidation, which also drops the walk-cache entries of the freed table's span.
/// </summary>
public sealed class InvalidationLedger
{
    private readonly PageTableOptions _options;
    private (ulong Start, ulong End, ulong Granule)? _open;
    private bool _queued;

    /// <summary>A ledger with nothing gathered.</summary>
    /// <param name="options">Invalidation mode, flush mode and threshold.</param>
    public InvalidationLedger(PageTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Commands the definition says have been sent so far.</summary>
    public long Commands { get; private set; }

    /// <summary>The ranges invalidated one by one, in order: closed gathers in strict mode that did not become a
    /// whole-domain flush, and map flushes. Lazy mode invalidates gathers only by the queue flush.</summary>
    public List<(ulong Start, ulong End, ulong Granule)> Invalidated { get; } = [];

    /// <summary>Gathers the pieces of one unmap.</summary>
    /// <param name="pieces">What the unmap removed.</param>
    public void Gather(IEnumerable<RemovedPiece> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        foreach (var piece in pieces)
        {
            ulong end = piece.Iova + piece.Size;
            if (_open is { } g && g.Granule == piece.Granule && piece.Iova <= g.End && end >= g.Start)
            {
                _open = (Math.Min(g.Start, piece.Iova), Math.Max(g.End, end), g.Granule);
                continue;
            }

            Sync();
            _open = (piece.Iova, end, piece.Granule);
        }
    }

    /// <summary>A sync: closes the open gather.</summary>
    public void Sync()
    {
        if (_open is not { } g)
        {
            return;
        }

        _open = null;
        if (_options.Flush == FlushMode.Lazy)
        {
            _queued = true;
            return;
        }

        long perLeaf = (long)Math.Max(1, (g.End - g.Start) / g.Granule);
        if (_options.Invalidation == InvalidationMode.WholeDomainAboveThreshold && perLeaf >= _options.WholeDomainThreshold)
        {
            Commands++;
            return;
        }

        Invalidated.Add(g);
        Commands += _options.Invalidation == InvalidationMode.Range ? 1 : perLeaf;
    }

    /// <summary>The lazy queue flush: one command if anything was queued.</summary>
    public void FlushQueue()
    {
        if (_queued)
        {
            Commands++;
            _queued = false;
        }
    }

    /// <summary>A map that replaced live entries flushes its range with one command.</summary>
    /// <param name="iova">The map's first IOVA.</param>
    /// <param name="size">The map's size.</param>
    /// <param name="granule">The format's smallest page.</param>
    public void MapReplacedLive(ulong iova, ulong size, ulong granule)
    {
        Invalidated.Add((iova, iova + size, granule));
        Commands++;
    }
}
