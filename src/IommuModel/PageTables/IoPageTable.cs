using System.Diagnostics;

namespace Verify.IommuModel.PageTables;

/// <summary>
/// An IOMMU domain's page table stored the way hardware stores it: table pages of PTE words
/// (<see cref="PageTableFormat.EntriesPerTable"/> <see cref="ulong"/>s each) allocated lazily and kept
/// in a page directory indexed by table-page id, plus the device's <see cref="Iotlb"/>.
/// </summary>
/// <remarks>
/// <para>Map follows the kernel's <c>iommu_map</c> loop (page sizes from <see cref="PageSizeChoice"/>)
/// and is all-or-nothing: a failure restores every PTE word it stored, in reverse order. Unmap
/// follows <c>iommu_unmap</c>: it walks leaves from the start, removes whole leaves, treats a partial
/// leaf per <see cref="SplitPolicy"/>, stops at a hole and returns what it removed (which may be more
/// than asked). Empty table pages are unlinked and go into the gather; they are reusable only after
/// its sync (strict) or the next queue flush (lazy).</para>
/// <para>Every PTE store raises <see cref="Stored"/>, so an observer can walk the table between stores.</para>
/// <para>Not thread-safe. Translate is O(levels) and allocation-free; map of a 1 GiB leaf touches one word.</para>
/// </remarks>
public sealed class IoPageTable
{
    internal const ulong ValidBit = 1;
    internal const ulong TableBit = 2;
    internal const ulong ReadBit = 4;
    internal const ulong WriteBit = 8;
    private const ulong AddressMask = ((1UL << 52) - 1) & ~0xFFFUL;
    private const int Root = 0;

    private readonly PageTableFormat _format;
    private readonly int _top;
    private readonly int[] _shift;
    private readonly ulong _indexMask;
    private readonly List<(int Table, int Index, ulong Old)> _undo = [];
    private readonly List<int> _allocatedInCall = [];
    private readonly List<int> _detachedInCall = [];
    private readonly Stack<int> _free = new();
    private readonly List<(ulong Iova, ulong Size, ulong Granule, long Count)> _splitPieces = [];
    private readonly List<List<int>> _flushQueue = [];
    private readonly List<DmaWindow> _windows = [];
    private readonly List<DmaWindow> _replacedInCall = [];
    private ulong[][] _tables = new ulong[16][];
    private int[] _liveEntries = new int[16];
    private ulong[] _tableIova = new ulong[16];
    private int[] _tableLevel = new int[16];
    private int[] _parent = new int[16];
    private TableState[] _state = new TableState[16];
    private int _directorySize;
    private bool _recording;

    /// <summary>Creates an empty page table (just the top table page) with its IOTLB.</summary>
    /// <param name="options">Format and policies.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A table-page limit below 1 or a threshold below 1.</exception>
    public IoPageTable(PageTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Preconditions.CheckArgumentRange(options.MaxTablePages is null or >= 1, options.MaxTablePages,
            "MaxTablePages should be at least 1 (the top table)", nameof(options));
        Preconditions.CheckArgumentRange(options.WholeDomainThreshold >= 1, options.WholeDomainThreshold,
            "WholeDomainThreshold should be at least 1", nameof(options));
        Options = options;
        _format = options.Format;
        _top = _format.Levels - 1;
        _shift = [.. Enumerable.Range(0, _format.Levels).Select(_format.LevelShift)];
        _indexMask = (ulong)_format.EntriesPerTable - 1;
        int root = NewTablePage(_top, 0, _format.TopEntries);
        Debug.Assert(root == Root, "the top table is table page 0");
        Iotlb = new Iotlb(this);
    }

    private enum TableState : byte
    {
        Free,
        Live,
        AwaitingSync,
    }

    /// <summary>Raised after every PTE store, including stores into a table page not yet linked.</summary>
    public event Action<PteStore>? Stored;

    /// <summary>Raised when an unmap or a map unlinks a table page; the id is reusable only after a sync.</summary>
    public event Action<int>? TablePageFreed;

    /// <summary>The options this table was built with.</summary>
    public PageTableOptions Options { get; }

    /// <summary>The device side: leaf and walk caches, invalidation commands.</summary>
    public Iotlb Iotlb { get; }

    /// <summary>Table pages linked into the tree, the top table included.</summary>
    public int TablePageCount { get; private set; }

    /// <summary>Table pages unlinked but not yet reusable (waiting for a sync or a queue flush).</summary>
    public int TablePagesAwaitingSync { get; private set; }

    /// <summary>Table pages ever allocated (live, awaiting sync and free for reuse).</summary>
    public int TablePagesAllocated => _directorySize;

    /// <summary>Ranges the last map or unmap left without their translation for a while although the
    /// call's result may keep it (legacy AMD overwrite of a larger leaf: the leaf is replaced by an empty
    /// table before the new page is filled in). Empty when every store kept unchanged pages translating.</summary>
    public IReadOnlyList<DmaWindow> LastCallWindows => _windows;

    /// <summary>PTE stores since the table was created.</summary>
    public long StoreCount { get; private set; }

    /// <summary>Maps <c>[iova, iova + size)</c> to <c>[pa, pa + size)</c> with the kernel's page-size choice.</summary>
    /// <param name="iova">First IOVA; aligned to the smallest page.</param>
    /// <param name="pa">First physical address; aligned to the smallest page; the range must stay below 2^52.</param>
    /// <param name="size">Bytes; a non-zero multiple of the smallest page.</param>
    /// <param name="protection">Rights; at least read or write.</param>
    /// <returns><see cref="Errno.EINVAL"/> for no rights, zero size or misalignment; <see cref="Errno.ERANGE"/>
    /// past the address width; <see cref="Errno.EEXIST"/>/<see cref="Errno.EADDRINUSE"/> per policy;
    /// <see cref="Errno.ENOMEM"/> when table pages run out. On failure nothing changed.</returns>
    public MapResult Map(ulong iova, ulong pa, ulong size, Protection protection)
    {
        ulong granuleMask = _format.Granule - 1;
        if ((protection & Protection.ReadWrite) == 0 || size == 0 || ((iova | pa | size) & granuleMask) != 0)
        {
            return new MapResult(Errno.EINVAL, 0);
        }

        if ((UInt128)iova + size > _format.AddressLimit || (UInt128)pa + size > (UInt128)1 << _format.PhysicalAddressBits)
        {
            return new MapResult(Errno.ERANGE, 0);
        }

        BeginCall();
        ulong position = iova, physical = pa, left = size;
        while (left > 0)
        {
            var (pageSize, count) = PageSizeChoice.Next(_format.PageSizeBitmap, position, physical, left);
            int level = _format.LevelOf(pageSize);
            int lastTable = -1;
            for (ulong i = 0; i < count; i++)
            {
                // Fast path: the next page of a run sits in the next, empty entry of the same table page.
                int index = IndexOf(position, level);
                if (lastTable >= 0 && index != 0 && _tables[lastTable][index] == 0)
                {
                    Store(lastTable, index, LeafEntry(physical, protection));
                    position += pageSize;
                    physical += pageSize;
                    continue;
                }

                var error = MapOne(position, physical, level, protection, out lastTable);
                if (error != Errno.None)
                {
                    Rollback();
                    return new MapResult(error, 0);
                }

                position += pageSize;
                physical += pageSize;
            }

            left -= pageSize * count;
        }

        _recording = false;
        _undo.Clear();
        if (_replacedInCall.Count > 0)
        {
            // Legacy drivers flush after replacing live entries, over everything replaced (a larger leaf
            // reaches outside the map); the destroyed tables are then safe to reuse.
            ulong low = Math.Min(iova, _replacedInCall.Min(r => r.Iova));
            ulong high = Math.Max(iova + size, _replacedInCall.Max(r => r.Iova + r.Size));
            Iotlb.InvalidateAfterMap(low, high - low);
            foreach (int table in _detachedInCall)
            {
                FreeSubtree(table);
            }
        }

        return new MapResult(Errno.None, size);
    }

    /// <summary>Unmaps from <paramref name="iova"/> until at least <paramref name="size"/> bytes are gone,
    /// a hole is met, or a partial leaf is refused. Removed ranges go into <paramref name="gather"/>.</summary>
    /// <param name="iova">First IOVA.</param>
    /// <param name="size">Bytes asked.</param>
    /// <param name="gather">Collects what the next sync must invalidate.</param>
    /// <returns>Bytes removed: 0 for a misaligned, empty or out-of-range request; more than
    /// <paramref name="size"/> when a whole larger leaf went (<see cref="SplitPolicy.WholeLeaf"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="gather"/> is null.</exception>
    public ulong Unmap(ulong iova, ulong size, UnmapGather gather)
    {
        ArgumentNullException.ThrowIfNull(gather);
        _windows.Clear();
        if (size == 0 || ((iova | size) & (_format.Granule - 1)) != 0 || (UInt128)iova + size > _format.AddressLimit)
        {
            return 0;
        }

        ulong done = 0, position = iova;
        while (done < size && position < _format.AddressLimit)
        {
            ulong removed = UnmapStep(position, size - done, gather);
            if (removed == 0)
            {
                break;
            }

            done += removed;
            position += removed;
        }

        return done;
    }

    /// <summary>Makes the gathered invalidations take effect: strict mode sends the commands and
    /// releases the freed table pages; lazy mode only queues them for <see cref="FlushQueue"/>.</summary>
    /// <param name="gather">The gather; empty afterwards.</param>
    /// <exception cref="ArgumentNullException"><paramref name="gather"/> is null.</exception>
    public void Sync(UnmapGather gather)
    {
        ArgumentNullException.ThrowIfNull(gather);
        if (Options.Flush == FlushMode.Lazy)
        {
            if (!gather.IsEmpty || gather.FreedTablePages.Count > 0)
            {
                _flushQueue.Add([.. gather.FreedTablePages]);
            }
        }
        else
        {
            if (!gather.IsEmpty)
            {
                Iotlb.Invalidate(gather.Start, gather.End - gather.Start, gather.Granule);
            }

            Release(gather.FreedTablePages);
        }

        gather.Reset();
    }

    /// <summary>Lazy mode's deferred flush: one whole-domain invalidation if anything is queued, then the
    /// queued table pages become reusable. Does nothing when the queue is empty.</summary>
    public void FlushQueue()
    {
        if (_flushQueue.Count == 0)
        {
            return;
        }

        Iotlb.InvalidateWholeDomain();
        foreach (var tables in _flushQueue)
        {
            Release(tables);
        }

        _flushQueue.Clear();
    }

    /// <summary>Whether syncs have queued invalidations that <see cref="FlushQueue"/> has not yet sent.</summary>
    public bool HasQueuedFlush => _flushQueue.Count > 0;

    /// <summary>Walks the table (not the IOTLB) for <paramref name="iova"/>.</summary>
    /// <param name="iova">Any address.</param>
    /// <returns>The translation, or <see langword="null"/> for a hole or an address past the width.</returns>
    public Translation? Translate(ulong iova)
    {
        if (iova >= _format.AddressLimit)
        {
            return null;
        }

        ulong[][] tables = _tables;
        int[] shifts = _shift;
        ulong[] words = tables[Root];
        for (int level = _top; ; level--)
        {
            int shift = shifts[level];
            ulong entry = words[(int)((iova >> shift) & _indexMask)];
            if (entry == 0)
            {
                return null;
            }

            if ((entry & TableBit) == 0)
            {
                return new Translation((entry & AddressMask) + (iova & ((1UL << shift) - 1)), ProtectionOf(entry));
            }

            words = tables[(int)(entry >> 12)];
        }
    }

    /// <summary>Every leaf in IOVA order.</summary>
    /// <returns>The leaves.</returns>
    public IReadOnlyList<PageTableLeaf> Leaves() => LeavesIn(0, _format.AddressLimit);

    /// <summary>The leaves that overlap <c>[start, end)</c>, in IOVA order.</summary>
    /// <param name="start">First IOVA of interest.</param>
    /// <param name="end">One past the last IOVA of interest (may be 2^64).</param>
    /// <returns>The leaves.</returns>
    public IReadOnlyList<PageTableLeaf> LeavesIn(ulong start, UInt128 end)
    {
        var leaves = new List<PageTableLeaf>();
        CollectLeaves(Root, start, end, leaves);
        return leaves;
    }

    /// <summary>The table page linked at <paramref name="level"/> for <paramref name="iova"/>, or -1.</summary>
    /// <param name="level">Level of the table page (below the top).</param>
    /// <param name="iova">An address the table page covers.</param>
    /// <returns>The table page id, or -1 when the walk ends before that level.</returns>
    public int TablePageAt(int level, ulong iova)
    {
        int table = Root;
        for (int l = _top; l > level; l--)
        {
            ulong entry = _tables[table][IndexOf(iova, l)];
            if ((entry & (ValidBit | TableBit)) != (ValidBit | TableBit))
            {
                return -1;
            }

            table = (int)(entry >> 12);
        }

        return table;
    }

    internal ulong ReadEntry(int table, int index) => _tables[table][index];

    internal int IndexOf(ulong iova, int level) => (int)((iova >> _shift[level]) & _indexMask);

    internal static Protection ProtectionOf(ulong entry) =>
        ((entry & ReadBit) != 0 ? Protection.Read : Protection.None) | ((entry & WriteBit) != 0 ? Protection.Write : Protection.None);

    internal static ulong PhysicalOf(ulong entry) => entry & AddressMask;

    private static ulong LeafEntry(ulong pa, Protection protection) =>
        pa | ValidBit
        | ((protection & Protection.Read) != 0 ? ReadBit : 0)
        | ((protection & Protection.Write) != 0 ? WriteBit : 0);

    private static ulong TableEntry(int table) => ((ulong)table << 12) | ValidBit | TableBit;

    private static bool IsTable(ulong entry) => (entry & TableBit) != 0;

    private void BeginCall()
    {
        _undo.Clear();
        _allocatedInCall.Clear();
        _detachedInCall.Clear();
        _replacedInCall.Clear();
        _windows.Clear();
        _recording = true;
    }

    private Errno MapOne(ulong iova, ulong pa, int targetLevel, Protection protection, out int leafTable)
    {
        leafTable = -1;
        int table = Root;
        for (int level = _top; level > targetLevel; level--)
        {
            int index = IndexOf(iova, level);
            ulong entry = _tables[table][index];
            if (entry != 0 && !IsTable(entry))
            {
                switch (Options.LiveLeaf)
                {
                    case LiveLeafPolicy.Eexist: return Errno.EEXIST;
                    case LiveLeafPolicy.Eaddrinuse: return Errno.EADDRINUSE;
                    case LiveLeafPolicy.KeepOld: return Errno.None;
                    default:
                        // AMD: the larger leaf is replaced by an empty table below; its pages fault until refilled.
                        ulong span = 1UL << _shift[level];
                        _replacedInCall.Add(new DmaWindow(iova & ~(span - 1), span));
                        _windows.Add(new DmaWindow(iova & ~(span - 1), span));
                        break;
                }
            }

            if (entry == 0 || !IsTable(entry))
            {
                int child = AllocateTablePage(level - 1, iova & ~((1UL << _shift[level]) - 1));
                if (child < 0)
                {
                    return Errno.ENOMEM;
                }

                Store(table, index, TableEntry(child));
                table = child;
            }
            else
            {
                table = (int)(entry >> 12);
            }
        }

        int leafIndex = IndexOf(iova, targetLevel);
        ulong old = _tables[table][leafIndex];
        if (old != 0 && IsTable(old))
        {
            int sub = (int)(old >> 12);
            if (Options.SubTable == SubTablePolicy.EmptyOnly && HasLiveLeaf(sub))
            {
                return Errno.EADDRINUSE;
            }

            _detachedInCall.Add(sub);
            _replacedInCall.Add(new DmaWindow(iova, 1UL << _shift[targetLevel]));
        }
        else if (old != 0)
        {
            switch (Options.LiveLeaf)
            {
                case LiveLeafPolicy.Eexist: return Errno.EEXIST;
                case LiveLeafPolicy.Eaddrinuse: return Errno.EADDRINUSE;
                case LiveLeafPolicy.KeepOld: return Errno.None;
                default:
                    _replacedInCall.Add(new DmaWindow(iova, 1UL << _shift[targetLevel]));
                    break;
            }
        }

        Store(table, leafIndex, LeafEntry(pa, protection));
        leafTable = table;
        return Errno.None;
    }

    private void Rollback()
    {
        _recording = false;
        for (int i = _undo.Count - 1; i >= 0; i--)
        {
            var (table, index, old) = _undo[i];
            Store(table, index, old);
        }

        _undo.Clear();
        // Every live entry this call replaced changed for a while before the rollback put it back.
        _windows.AddRange(_replacedInCall);
        // Pages allocated by this call were never linked outside it: they go straight back.
        foreach (int table in _allocatedInCall)
        {
            _state[table] = TableState.Free;
            TablePageCount--;
            _free.Push(table);
        }

        _allocatedInCall.Clear();
        _detachedInCall.Clear();
    }

    private ulong UnmapStep(ulong position, ulong left, UnmapGather gather)
    {
        Span<int> pathTables = stackalloc int[_format.Levels];
        Span<int> pathIndexes = stackalloc int[_format.Levels];
        int table = Root;
        int level = _top;
        ulong entry;
        while (true)
        {
            int index = IndexOf(position, level);
            entry = _tables[table][index];
            pathTables[level] = table;
            pathIndexes[level] = index;
            if (entry == 0)
            {
                return 0;
            }

            if (!IsTable(entry))
            {
                break;
            }

            table = (int)(entry >> 12);
            level--;
        }

        ulong span = 1UL << _shift[level];
        ulong leafIova = position & ~(span - 1);
        bool whole = position == leafIova && span <= left;
        if (!whole && Options.Split == SplitPolicy.Refuse)
        {
            return 0;
        }

        if (!whole && Options.Split == SplitPolicy.Split)
        {
            ulong end = Math.Min(leafIova + span, position + left);
            return SplitLeaf(level, pathTables[level], pathIndexes[level], leafIova, entry, position, end, gather) ? end - position : 0;
        }

        Store(pathTables[level], pathIndexes[level], 0);
        if (!whole && Options.Bug == PageTableBug.RequestedRangeOnly)
        {
            // The bug: only what the caller asked for is invalidated, not the whole leaf that went.
            AddToGather(gather, position, Math.Min(leafIova + span, position + left) - position, _format.Granule);
        }
        else
        {
            AddToGather(gather, leafIova, span, span);
        }

        FreeEmptyTables(pathTables, pathIndexes, level, gather);
        return span;
    }

    private bool SplitLeaf(int level, int table, int index, ulong leafIova, ulong entry, ulong start, ulong end, UnmapGather gather)
    {
        _allocatedInCall.Clear();
        _splitPieces.Clear();
        ulong replacement = BuildSplit(level, leafIova, PhysicalOf(entry), ProtectionOf(entry), start, end);
        if (replacement == ulong.MaxValue)
        {
            foreach (int allocated in _allocatedInCall)
            {
                _state[allocated] = TableState.Free;
                TablePageCount--;
                _free.Push(allocated);
            }

            _allocatedInCall.Clear();
            return false;
        }

        // The one store a device can see: the block becomes a table of smaller leaves.
        Store(table, index, replacement);
        foreach (var (iova, size, granule, _) in _splitPieces)
        {
            // io-pgtable-arm adds each unmapped leaf of a split on its own (io_pgtable_tlb_add_page per entry),
            // so whether the gather must be synced first is decided by the run's first leaf, not by the merged
            // run: a run that only reaches the gathered range with a later leaf still forces a sync. The rest
            // of the run is adjacent and at the same granule, so it always joins.
            AddToGather(gather, iova, granule, granule);
            gather.Add(iova, size, granule);
        }

        return true;
    }

    /// <summary>Builds, unlinked, what replaces the entry at <paramref name="level"/> once
    /// <c>[start, end)</c> is cut out of it; <see cref="ulong.MaxValue"/> when table pages ran out.</summary>
    private ulong BuildSplit(int level, ulong iova, ulong pa, Protection protection, ulong start, ulong end)
    {
        ulong span = 1UL << _shift[level];
        if (end <= iova || start >= iova + span)
        {
            return LeafEntry(pa, protection);
        }

        if (start <= iova && iova + span <= end)
        {
            if (_splitPieces.Count > 0 && _splitPieces[^1] is var last && last.Granule == span && last.Iova + last.Size == iova)
            {
                _splitPieces[^1] = (last.Iova, last.Size + span, span, last.Count + 1);
            }
            else
            {
                _splitPieces.Add((iova, span, span, 1));
            }

            return 0;
        }

        int child = AllocateTablePage(level - 1, iova);
        if (child < 0)
        {
            return ulong.MaxValue;
        }

        ulong childSpan = 1UL << _shift[level - 1];
        for (int i = 0; i < _format.EntriesPerTable; i++)
        {
            ulong offset = (ulong)i * childSpan;
            ulong word = BuildSplit(level - 1, iova + offset, pa + offset, protection, start, end);
            if (word == ulong.MaxValue)
            {
                return word;
            }

            if (word != 0)
            {
                Store(child, i, word);
            }
        }

        return TableEntry(child);
    }

    private void AddToGather(UnmapGather gather, ulong iova, ulong size, ulong granule)
    {
        if (!gather.Fits(iova, size, granule))
        {
            gather.ForcedSyncs++;
            Sync(gather);
        }

        gather.Add(iova, size, granule);
    }

    private void FreeEmptyTables(Span<int> pathTables, Span<int> pathIndexes, int leafLevel, UnmapGather gather)
    {
        for (int level = leafLevel; level < _top; level++)
        {
            int table = pathTables[level];
            if (_liveEntries[table] != 0)
            {
                return;
            }

            Store(pathTables[level + 1], pathIndexes[level + 1], 0);
            _state[table] = TableState.AwaitingSync;
            TablePageCount--;
            TablePagesAwaitingSync++;
            gather.AddFreedTablePage(table);
            TablePageFreed?.Invoke(table);
        }
    }

    private void FreeSubtree(int table)
    {
        ulong[] words = _tables[table];
        if (_tableLevel[table] > 0)
        {
            foreach (ulong word in words)
            {
                if (word != 0 && IsTable(word))
                {
                    FreeSubtree((int)(word >> 12));
                }
            }
        }

        TablePageCount--;
        TablePageFreed?.Invoke(table);
        _state[table] = TableState.Free;
        _free.Push(table);
    }

    private bool HasLiveLeaf(int table)
    {
        foreach (ulong word in _tables[table])
        {
            if (word != 0 && (!IsTable(word) || HasLiveLeaf((int)(word >> 12))))
            {
                return true;
            }
        }

        return false;
    }

    private void Release(IReadOnlyList<int> tables)
    {
        foreach (int table in tables)
        {
            Debug.Assert(_state[table] == TableState.AwaitingSync, "only unlinked table pages are released");
            _state[table] = TableState.Free;
            TablePagesAwaitingSync--;
            _free.Push(table);
        }
    }

    private int AllocateTablePage(int level, ulong iova)
    {
        if (Options.MaxTablePages is { } max && TablePageCount + TablePagesAwaitingSync >= max)
        {
            return -1;
        }

        int table;
        if (_free.Count > 0)
        {
            table = _free.Pop();
            Array.Clear(_tables[table]);
            _liveEntries[table] = 0;
            _tableLevel[table] = level;
            _tableIova[table] = iova;
            _parent[table] = -1;
            _state[table] = TableState.Live;
            TablePageCount++;
        }
        else
        {
            table = NewTablePage(level, iova, _format.EntriesPerTable);
        }

        _allocatedInCall.Add(table);

        return table;
    }

    private int NewTablePage(int level, ulong iova, int entries)
    {
        if (_directorySize == _tables.Length)
        {
            int grown = _tables.Length * 2;
            Array.Resize(ref _tables, grown);
            Array.Resize(ref _liveEntries, grown);
            Array.Resize(ref _tableIova, grown);
            Array.Resize(ref _tableLevel, grown);
            Array.Resize(ref _parent, grown);
            Array.Resize(ref _state, grown);
        }

        int table = _directorySize++;
        _tables[table] = new ulong[entries];
        _tableLevel[table] = level;
        _tableIova[table] = iova;
        _parent[table] = -1;
        _state[table] = TableState.Live;
        TablePageCount++;
        return table;
    }

    private void Store(int table, int index, ulong value)
    {
        ulong[] words = _tables[table];
        ulong old = words[index];
        words[index] = value;
        if (old == 0 && value != 0)
        {
            _liveEntries[table]++;
        }
        else if (old != 0 && value == 0)
        {
            _liveEntries[table]--;
        }

        if (old != 0 && IsTable(old))
        {
            _parent[(int)(old >> 12)] = -1;
        }

        if (value != 0 && IsTable(value))
        {
            _parent[(int)(value >> 12)] = table;
        }

        if (_recording)
        {
            _undo.Add((table, index, old));
        }

        long sequence = StoreCount++;
        if (Stored is { } observer)
        {
            int level = _tableLevel[table];
            int shift = _shift[level];
            ulong iova = _tableIova[table] + ((ulong)index << shift);
            observer(new PteStore(sequence, table, index, level, iova, 1UL << shift, old, value, IsLinked(table)));
        }
    }

    private bool IsLinked(int table)
    {
        while (table != Root)
        {
            table = _parent[table];
            if (table < 0)
            {
                return false;
            }
        }

        return true;
    }

    private void CollectLeaves(int table, ulong start, UInt128 end, List<PageTableLeaf> leaves)
    {
        int level = _tableLevel[table];
        int shift = _shift[level];
        ulong span = 1UL << shift;
        ulong[] words = _tables[table];
        for (int i = 0; i < words.Length; i++)
        {
            ulong word = words[i];
            ulong iova = _tableIova[table] + ((ulong)i << shift);
            if (word == 0 || (UInt128)iova + span <= start || iova >= end)
            {
                continue;
            }

            if (IsTable(word))
            {
                CollectLeaves((int)(word >> 12), start, end, leaves);
            }
            else
            {
                leaves.Add(new PageTableLeaf(iova, span, PhysicalOf(word), ProtectionOf(word)));
            }
        }
    }
}
