using Verify.IommuModel;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Oracle.PageTables;

/// <summary>A leaf as the oracle knows it: an aligned IOVA block of one page size and where it leads.</summary>
/// <param name="Iova">First IOVA, aligned to <paramref name="Size"/>.</param>
/// <param name="Size">A page size of the format.</param>
/// <param name="Pa">Physical address of <paramref name="Iova"/>.</param>
/// <param name="Protection">Rights.</param>
public readonly record struct OracleLeaf(ulong Iova, ulong Size, ulong Pa, Protection Protection)
{
    /// <summary>One past the last IOVA.</summary>
    public ulong End => Iova + Size;

    /// <summary>Whether the leaf holds <paramref name="address"/>.</summary>
    /// <param name="address">An IOVA.</param>
    /// <returns><see langword="true"/> inside.</returns>
    public bool Contains(ulong address) => address >= Iova && address < End;
}

/// <summary>A range an unmap removed and the leaf size it was removed at (what a gather must hold).</summary>
/// <param name="Iova">First IOVA removed.</param>
/// <param name="Size">Bytes removed.</param>
/// <param name="Granule">Leaf size of the removed pieces.</param>
public readonly record struct RemovedPiece(ulong Iova, ulong Size, ulong Granule);

/// <summary>What the definition says an unmap returns and removes.</summary>
/// <param name="Returned">Bytes the call returns.</param>
/// <param name="Removed">The removed pieces in order, each at one granule.</param>
public sealed record OracleUnmap(ulong Returned, IReadOnlyList<RemovedPiece> Removed);

/// <summary>
/// The page-table reference, written from docs/semantics.md 4.2-4.4 with no table pages at all: the state
/// is the set of live leaves (each an aligned block of one page size), so a translation is "the leaf
/// whose aligned block of its own size holds the page". Map installs the brute-force page list one
/// page at a time against that set, unmap applies the split policy leaf by leaf. Slow on purpose;
/// shares only vocabulary types with the model.
/// </summary>
public sealed class PageTableOracle
{
    private readonly PageTableOptions _options;
    private readonly PageTableFormat _format;
    private readonly ulong[] _sizesDescending;
    private Dictionary<ulong, OracleLeaf> _leaves = [];
    private SortedSet<ulong> _starts = [];
    private IReadOnlyList<OracleLeaf>? _sorted;

    /// <summary>An empty table for <paramref name="options"/>.</summary>
    /// <param name="options">Format and policies.</param>
    public PageTableOracle(PageTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _format = options.Format;
        _sizesDescending = [.. AllPageSizes(_format).OrderDescending()];
    }

    /// <summary>Whether the last successful map replaced live translations (legacy drivers flush then).</summary>
    public bool LastMapReplacedLive { get; private set; }

    /// <summary>What the last map that replaced live translations must flush: its own range widened to
    /// every larger leaf it replaced.</summary>
    public (ulong Iova, ulong Size) LastMapFlush { get; private set; }

    /// <summary>The live leaves in IOVA order.</summary>
    public IReadOnlyList<OracleLeaf> Leaves => _sorted ??= [.. _starts.Select(start => _leaves[start])];

    /// <summary>Starts from a given set of leaves (for properties that seed the oracle from an observation).</summary>
    /// <param name="options">Format and policies.</param>
    /// <param name="leaves">Disjoint aligned leaves.</param>
    /// <returns>The oracle.</returns>
    public static PageTableOracle FromLeaves(PageTableOptions options, IEnumerable<OracleLeaf> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var oracle = new PageTableOracle(options);
        foreach (var leaf in leaves)
        {
            oracle._leaves[leaf.Iova] = leaf;
            oracle._starts.Add(leaf.Iova);
        }

        return oracle;
    }

    /// <summary>The page sizes of <paramref name="format"/> read bit by bit from its bitmap.</summary>
    /// <param name="format">A format.</param>
    /// <returns>Sizes, smallest first.</returns>
    public static IReadOnlyList<ulong> AllPageSizes(PageTableFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        var sizes = new List<ulong>();
        for (int bit = 0; bit < 64; bit++)
        {
            if ((format.PageSizeBitmap & (1UL << bit)) != 0)
            {
                sizes.Add(1UL << bit);
            }
        }

        return sizes;
    }

    /// <summary>
    /// The brute-force page list: at every step try every page size from the largest down and take the
    /// first that both addresses are aligned to and that fits in what is left.
    /// </summary>
    /// <param name="format">The format.</param>
    /// <param name="iova">First IOVA (granule aligned).</param>
    /// <param name="pa">First physical address (granule aligned).</param>
    /// <param name="size">Bytes (a multiple of the granule).</param>
    /// <returns>One (iova, pa, size) per page, in order.</returns>
    public static IReadOnlyList<(ulong Iova, ulong Pa, ulong Size)> BestPages(PageTableFormat format, ulong iova, ulong pa, ulong size)
    {
        var sizes = AllPageSizes(format).OrderDescending().ToList();
        var pages = new List<(ulong, ulong, ulong)>();
        ulong left = size;
        while (left > 0)
        {
            ulong chosen = sizes.First(s => iova % s == 0 && pa % s == 0 && s <= left);
            pages.Add((iova, pa, chosen));
            iova += chosen;
            pa += chosen;
            left -= chosen;
        }

        return pages;
    }

    /// <summary>The leaf that holds <paramref name="address"/>, if any.</summary>
    /// <param name="address">An IOVA.</param>
    /// <returns>The leaf or <see langword="null"/>.</returns>
    public OracleLeaf? LeafAt(ulong address) => LeafAt(_leaves, address);

    /// <summary>Where <paramref name="address"/> leads.</summary>
    /// <param name="address">An IOVA.</param>
    /// <returns>The translation or <see langword="null"/> for a hole.</returns>
    public Translation? Translate(ulong address) =>
        LeafAt(address) is { } leaf ? new Translation(leaf.Pa + (address - leaf.Iova), leaf.Protection) : null;

    /// <summary>The table pages the leaves need when empty tables are freed: the top table plus, for each
    /// leaf below the top level, one table per level from the leaf's level up to just below the top.</summary>
    /// <returns>The count.</returns>
    public int RequiredTablePages()
    {
        var tables = new HashSet<(int Level, ulong Prefix)>();
        int top = _format.Levels - 1;
        foreach (var leaf in _leaves.Values)
        {
            for (int level = _format.LevelOf(leaf.Size); level < top; level++)
            {
                tables.Add((level, leaf.Iova >> _format.LevelShift(level + 1)));
            }
        }

        return tables.Count + 1;
    }

    /// <summary>Applies a map as docs/semantics.md 4.3 says, page by page over <see cref="BestPages"/>.</summary>
    /// <param name="iova">First IOVA.</param>
    /// <param name="pa">First physical address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="protection">Rights.</param>
    /// <returns>The expected result; on failure the oracle is unchanged.</returns>
    public MapResult Map(ulong iova, ulong pa, ulong size, Protection protection)
    {
        LastMapReplacedLive = false;
        ulong granule = _format.Granule;
        if ((protection & Protection.ReadWrite) == 0 || size == 0 || iova % granule != 0 || pa % granule != 0 || size % granule != 0)
        {
            return new MapResult(Errno.EINVAL, 0);
        }

        if ((UInt128)iova + size > (UInt128)1 << _format.AddressBits || (UInt128)pa + size > (UInt128)1 << _format.PhysicalAddressBits)
        {
            return new MapResult(Errno.ERANGE, 0);
        }

        var next = new Dictionary<ulong, OracleLeaf>(_leaves);
        var starts = new SortedSet<ulong>(_starts);
        bool replaced = false;
        ulong low = iova, high = iova + size;
        foreach (var (pageIova, pagePa, pageSize) in BestPages(_format, iova, pa, size))
        {
            var holder = LeafAt(next, pageIova) is { } found && found.Size >= pageSize ? found : (OracleLeaf?)null;
            // Leaves inside the new page are smaller leaves starting in it (leaves never straddle an aligned block).
            var inside = starts.GetViewBetween(pageIova, pageIova + pageSize - 1).Where(start => next[start].Size < pageSize).ToList();
            if (holder is { } live)
            {
                switch (_options.LiveLeaf)
                {
                    case LiveLeafPolicy.Eexist: return new MapResult(Errno.EEXIST, 0);
                    case LiveLeafPolicy.Eaddrinuse: return new MapResult(Errno.EADDRINUSE, 0);
                    case LiveLeafPolicy.KeepOld: continue;
                    default:
                        next.Remove(live.Iova);
                        starts.Remove(live.Iova);
                        replaced = true;
                        low = Math.Min(low, live.Iova);
                        high = Math.Max(high, live.End);
                        break;
                }
            }
            else if (inside.Count > 0)
            {
                if (_options.SubTable == SubTablePolicy.EmptyOnly)
                {
                    return new MapResult(Errno.EADDRINUSE, 0);
                }

                foreach (ulong start in inside)
                {
                    next.Remove(start);
                    starts.Remove(start);
                }

                replaced = true;
            }

            next[pageIova] = new OracleLeaf(pageIova, pageSize, pagePa, protection);
            starts.Add(pageIova);
        }

        (_leaves, _starts, _sorted) = (next, starts, null);
        LastMapReplacedLive = replaced;
        LastMapFlush = (low, high - low);
        return new MapResult(Errno.None, size);
    }

    /// <summary>Applies an unmap as docs/semantics.md 4.4 says: from the start, whole leaves go; a partial leaf
    /// is split, refused or removed whole per policy; a hole stops it.</summary>
    /// <param name="iova">First IOVA.</param>
    /// <param name="size">Bytes asked.</param>
    /// <returns>The return value and the removed pieces.</returns>
    public OracleUnmap Unmap(ulong iova, ulong size)
    {
        var removed = new List<RemovedPiece>();
        ulong limit = 1UL << _format.AddressBits;
        if (size == 0 || iova % _format.Granule != 0 || size % _format.Granule != 0 || (UInt128)iova + size > limit)
        {
            return new OracleUnmap(0, removed);
        }

        ulong done = 0, position = iova;
        while (done < size && position < limit && LeafAt(position) is { } leaf)
        {
            ulong left = size - done;
            ulong step;
            _sorted = null;
            if (position == leaf.Iova && leaf.Size <= left)
            {
                Remove(leaf.Iova);
                removed.Add(new RemovedPiece(leaf.Iova, leaf.Size, leaf.Size));
                step = leaf.Size;
            }
            else if (_options.Split == SplitPolicy.Refuse)
            {
                break;
            }
            else if (_options.Split == SplitPolicy.WholeLeaf)
            {
                Remove(leaf.Iova);
                removed.Add(new RemovedPiece(leaf.Iova, leaf.Size, leaf.Size));
                step = leaf.Size;
            }
            else
            {
                ulong end = Math.Min(leaf.End, position + left);
                SplitOut(leaf, position, end, removed);
                step = end - position;
            }

            done += step;
            position += step;
        }

        return new OracleUnmap(done, removed);
    }

    private void SplitOut(OracleLeaf leaf, ulong start, ulong end, List<RemovedPiece> removed)
    {
        Remove(leaf.Iova);
        var smaller = _sizesDescending.Where(s => s < leaf.Size).ToList();
        // Kept parts become the largest smaller pages that fit; the cut part is removed in such pages too.
        foreach (var (from, to, keep) in new[] { (leaf.Iova, start, true), (start, end, false), (end, leaf.End, true) })
        {
            for (ulong q = from; q < to;)
            {
                ulong s = smaller.First(size => q % size == 0 && q + size <= to);
                if (keep)
                {
                    _leaves[q] = new OracleLeaf(q, s, leaf.Pa + (q - leaf.Iova), leaf.Protection);
                    _starts.Add(q);
                }
                else
                {
                    removed.Add(new RemovedPiece(q, s, s));
                }

                q += s;
            }
        }
    }

    private void Remove(ulong start)
    {
        _leaves.Remove(start);
        _starts.Remove(start);
    }

    private OracleLeaf? LeafAt(Dictionary<ulong, OracleLeaf> leaves, ulong address)
    {
        foreach (ulong size in _sizesDescending)
        {
            if (leaves.TryGetValue(address & ~(size - 1), out var leaf) && leaf.Size == size)
            {
                return leaf;
            }
        }

        return null;
    }
}
