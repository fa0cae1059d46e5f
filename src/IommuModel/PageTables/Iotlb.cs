namespace Verify.IommuModel.PageTables;

/// <summary>
/// The device side of a domain: an IOTLB of leaf translations and a walk cache of table pointers,
/// filled by <see cref="Access"/> and emptied by invalidation commands, each counted.
/// </summary>
/// <remarks>
/// <para>The leaf cache keeps one entry per smallest page the device touched, tagged with the size of
/// the leaf it came from: hardware may cache a superpage in fragments, which is why an unmap must
/// invalidate the whole leaf it removed and not just the requested part.</para>
/// <para>An invalidation of <c>[iova, iova + size)</c> drops the leaf entries inside it and every
/// walk-cache entry whose span meets it. Nothing caches a fault.</para>
/// </remarks>
public sealed class Iotlb
{
    private readonly IoPageTable _table;
    private readonly PageTableFormat _format;
    private readonly Dictionary<ulong, CachedLeaf> _leaves = [];
    private readonly Dictionary<(int Level, ulong Prefix), int> _walks = [];
    private readonly List<InvalidationCommand> _commands = [];

    internal Iotlb(IoPageTable table)
    {
        _table = table;
        _format = table.Options.Format;
    }

    /// <summary>Every command record sent so far, in order.</summary>
    public IReadOnlyList<InvalidationCommand> Commands => _commands;

    /// <summary>Hardware commands sent so far (a per-leaf record counts its <see cref="InvalidationCommand.Count"/>).</summary>
    public long CommandCount { get; private set; }

    /// <summary>Leaf entries cached, one per smallest page.</summary>
    public IEnumerable<CachedLeaf> CachedLeaves => _leaves.Values;

    /// <summary>Walk-cache entries: the table page the device will use at a level for an IOVA prefix.</summary>
    public IEnumerable<CachedWalk> CachedWalks =>
        _walks.Select(w => new CachedWalk(w.Key.Level, w.Key.Prefix << _format.LevelShift(w.Key.Level + 1), w.Value));

    /// <summary>A device access: the IOTLB if it hits, else a walk from the deepest cached table pointer,
    /// caching what the walk read.</summary>
    /// <param name="iova">The address the device uses.</param>
    /// <returns>The translation the device gets, or <see langword="null"/> for a fault.</returns>
    public Translation? Access(ulong iova)
    {
        if (iova >= _format.AddressLimit)
        {
            return null;
        }

        ulong page = iova >> _format.GranuleShift;
        ulong inPage = iova & (_format.Granule - 1);
        if (_leaves.TryGetValue(page, out var hit))
        {
            return new Translation(hit.Pa + (_table.Options.Bug == PageTableBug.HitDropsOffset ? 0 : inPage), hit.Protection);
        }

        int top = _format.Levels - 1;
        int table = 0, level = top;
        for (int l = 0; l < top; l++)
        {
            if (_walks.TryGetValue((l, iova >> _format.LevelShift(l + 1)), out int cached))
            {
                (table, level) = (cached, l);
                break;
            }
        }

        while (true)
        {
            ulong entry = _table.ReadEntry(table, _table.IndexOf(iova, level));
            if (entry == 0)
            {
                return null;
            }

            if ((entry & IoPageTable.TableBit) != 0)
            {
                if (level == 0)
                {
                    // A table pointer at the leaf level: only a stale walk into a reused page reads this; the IOMMU faults.
                    return null;
                }

                table = (int)(entry >> 12);
                _walks[(level - 1, iova >> _format.LevelShift(level))] = table;
                level--;
                continue;
            }

            ulong span = 1UL << _format.LevelShift(level);
            ulong pageIova = page << _format.GranuleShift;
            ulong pa = IoPageTable.PhysicalOf(entry) + (pageIova & (span - 1));
            var leaf = new CachedLeaf(pageIova, pa, IoPageTable.ProtectionOf(entry), span);
            _leaves[page] = leaf;
            return new Translation(pa + inPage, leaf.Protection);
        }
    }

    internal void Invalidate(ulong iova, ulong size, ulong granule)
    {
        long perLeaf = (long)Math.Max(1, size / granule);
        var mode = _table.Options.Invalidation;
        if (mode == InvalidationMode.Range)
        {
            Send(new InvalidationCommand(InvalidationKind.Range, iova, size, granule, 1));
        }
        else if (mode == InvalidationMode.WholeDomainAboveThreshold && perLeaf >= _table.Options.WholeDomainThreshold)
        {
            InvalidateWholeDomain();
            return;
        }
        else
        {
            Send(new InvalidationCommand(InvalidationKind.Leaf, iova, size, granule, perLeaf));
        }

        Drop(iova, size);
    }

    internal void InvalidateAfterMap(ulong iova, ulong size)
    {
        Send(new InvalidationCommand(InvalidationKind.Range, iova, size, _format.Granule, 1));
        Drop(iova, size);
    }

    internal void InvalidateWholeDomain()
    {
        Send(new InvalidationCommand(InvalidationKind.WholeDomain, 0, 0, 0, 1));
        _leaves.Clear();
        _walks.Clear();
    }

    private void Send(InvalidationCommand command)
    {
        _commands.Add(command);
        CommandCount += command.Count;
    }

    private void Drop(ulong iova, ulong size)
    {
        ulong end = iova + size;
        if (_leaves.Count > 0)
        {
            ulong first = iova >> _format.GranuleShift, last = (end - 1) >> _format.GranuleShift;
            if (last - first < (ulong)_leaves.Count)
            {
                for (ulong page = first; page <= last; page++)
                {
                    _leaves.Remove(page);
                }
            }
            else
            {
                foreach (ulong page in _leaves.Keys.Where(p => p >= first && p <= last).ToList())
                {
                    _leaves.Remove(page);
                }
            }
        }

        if (_walks.Count > 0)
        {
            foreach (var key in _walks.Keys.ToList())
            {
                int shift = _format.LevelShift(key.Level + 1);
                ulong start = key.Prefix << shift;
                if (start < end && start + (1UL << shift) > iova)
                {
                    _walks.Remove(key);
                }
            }
        }
    }
}

/// <summary>One IOTLB entry: the smallest page the device touched and where it leads.</summary>
/// <param name="Iova">The page's first IOVA.</param>
/// <param name="Pa">The page's physical address.</param>
/// <param name="Protection">Rights.</param>
/// <param name="LeafSize">Size of the leaf the entry was read from.</param>
public readonly record struct CachedLeaf(ulong Iova, ulong Pa, Protection Protection, ulong LeafSize);

/// <summary>One walk-cache entry: at <paramref name="Level"/>, the table page covering <paramref name="Iova"/>.</summary>
/// <param name="Level">The level of the cached table page.</param>
/// <param name="Iova">First IOVA the table page covers.</param>
/// <param name="TablePage">The cached table page id.</param>
public readonly record struct CachedWalk(int Level, ulong Iova, int TablePage);
