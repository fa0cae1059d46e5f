using Verify.Harness.Implementations;
using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Hosts;

/// <summary>
/// Standalone IOMMU page tables (docs/semantics.md 4), each with its IOTLB, a pending gather that unmaps fill until a sync,
/// and beside it the page-by-page <see cref="PageTableOracle"/> and the invalidation cost model. Every operation
/// goes to the oracle first, so a check watching the model's PTE stores sees the definition's after-state while
/// the model is still on its way there.
/// </summary>
/// <param name="implementation">The page-table variant under test.</param>
public sealed class PageTableHost(ImplementationUnderTest implementation)
{
    private readonly Dictionary<string, TableState> _tables = new(StringComparer.Ordinal);

    /// <summary>Raised when a table is created, before its first operation, so a check can watch its stores.</summary>
    public event Action<TableState>? TableCreated;

    /// <summary>The tables, by name.</summary>
    public IReadOnlyDictionary<string, TableState> Tables => _tables;

    /// <summary>What the current step did, or null when it touched no table.</summary>
    public PageTableOperation? Step { get; private set; }

    /// <summary>Forgets the step before.</summary>
    public void BeginStep() => Step = null;

    /// <summary>Creates an empty table.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="options">The table's options as the scenario gives them (the oracle's; the model gets the
    /// implementation's rewrite of them).</param>
    /// <returns>The table.</returns>
    public TableState Create(string name, PageTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_tables.ContainsKey(name))
        {
            throw new StepException($"a page table named '{name}' exists already");
        }

        // A user's table is judged by the rules it claims, whatever the scenario asked (docs/protocol.md).
        var user = implementation.PageTable;
        options = user?.Constrain(options) ?? options;

        // The oracle knows no table-page budget, so a table with one is checked against the oracle where a check
        // can rebuild the definition from the table's leaves (PT-03) and by its expectations.
        var oracle = options.MaxTablePages is null ? new PageTableOracle(options) : null;
        var ledger = oracle is null ? null : new InvalidationLedger(options);
        var table = user is null
            ? new TableState(name, options, new IoPageTable(implementation.PageTables(options)), oracle, ledger)
            : new TableState(name, options, new UserDomain(user.Allocate(options.Format), options.Format), oracle, ledger);
        _tables.Add(name, table);
        TableCreated?.Invoke(table);
        Step = new PageTableOperation(table, PageTableOperationKind.Create);
        return table;
    }

    /// <summary>Maps a range into a table.</summary>
    /// <param name="name">The table.</param>
    /// <param name="iova">First IOVA.</param>
    /// <param name="pa">First physical address.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="protection">Rights.</param>
    /// <returns>What happened.</returns>
    public PageTableOperation Map(string name, ulong iova, ulong pa, ulong size, Protection protection)
    {
        var t = TableNamed(name);
        var step = new PageTableOperation(t, PageTableOperationKind.Map) { Iova = iova, Pa = pa, Size = size, Protection = protection };
        if (t.Oracle is { } oracle)
        {
            step = step with { OracleMap = oracle.Map(iova, pa, size, protection) };
            if (step.OracleMap.Value.Succeeded && oracle.LastMapReplacedLive)
            {
                t.Ledger!.MapReplacedLive(oracle.LastMapFlush.Iova, oracle.LastMapFlush.Size, t.Options.Format.Granule);
            }
        }

        t.Current = PageTableOperationKind.Map;
        try
        {
            step = step with { ModelMap = t.Table?.Map(iova, pa, size, protection) ?? t.User!.Map(iova, pa, size, protection) };
        }
        finally
        {
            t.Current = null;
        }

        Step = step;
        return step;
    }

    /// <summary>Unmaps a range of a table into its pending gather.</summary>
    /// <param name="name">The table.</param>
    /// <param name="iova">First IOVA.</param>
    /// <param name="size">Bytes asked.</param>
    /// <returns>What happened.</returns>
    public PageTableOperation Unmap(string name, ulong iova, ulong size)
    {
        var t = TableNamed(name);
        var step = new PageTableOperation(t, PageTableOperationKind.Unmap) { Iova = iova, Size = size };
        if (t.Oracle is { } oracle)
        {
            var leaf = oracle.LeafAt(iova);
            var expected = oracle.Unmap(iova, size);
            t.Ledger!.Gather(expected.Removed);
            step = step with { LeafAtStart = leaf, OracleUnmap = expected };
        }

        t.Current = PageTableOperationKind.Unmap;
        try
        {
            step = step with { ModelUnmapped = t.Table?.Unmap(iova, size, t.Pending) ?? t.User!.Unmap(iova, size) };
        }
        finally
        {
            t.Current = null;
        }

        Step = step;
        return step;
    }

    /// <summary>The IOTLB sync of a table's pending gather.</summary>
    /// <param name="name">The table.</param>
    /// <returns>What happened.</returns>
    public PageTableOperation Sync(string name)
    {
        var t = TableNamed(name);
        long commands = t.Table?.Iotlb.CommandCount ?? 0;
        t.Ledger?.Sync();
        t.Current = PageTableOperationKind.Sync;
        try
        {
            if (t.Table is { } table)
            {
                table.Sync(t.Pending);
            }
            else
            {
                t.User!.Sync();
            }
        }
        finally
        {
            t.Current = null;
        }

        Step = new PageTableOperation(t, PageTableOperationKind.Sync) { Commands = (t.Table?.Iotlb.CommandCount ?? 0) - commands };
        return Step;
    }

    /// <summary>Lazy mode's deferred whole-domain flush.</summary>
    /// <param name="name">The table.</param>
    /// <returns>What happened.</returns>
    public PageTableOperation Flush(string name)
    {
        var t = TableNamed(name);
        long commands = t.Table?.Iotlb.CommandCount ?? 0;
        t.Ledger?.FlushQueue();
        t.Current = PageTableOperationKind.Flush;
        try
        {
            // A user's table flushes strictly (its options say so): a queue flush has nothing to send.
            t.Table?.FlushQueue();
        }
        finally
        {
            t.Current = null;
        }

        Step = new PageTableOperation(t, PageTableOperationKind.Flush) { Commands = (t.Table?.Iotlb.CommandCount ?? 0) - commands };
        return Step;
    }

    /// <summary>The device reads one address through the table's IOTLB.</summary>
    /// <param name="name">The table.</param>
    /// <param name="iova">The address.</param>
    /// <returns>What the device got.</returns>
    public Translation? Access(string name, ulong iova)
    {
        var t = TableNamed(name);
        Step = new PageTableOperation(t, PageTableOperationKind.Access) { Iova = iova };
        return t.DeviceAccess(iova);
    }

    private TableState TableNamed(string name) =>
        _tables.TryGetValue(name, out var t) ? t : throw new StepException($"no page table named '{name}'; create it with a 'page-table' step");
}

/// <summary>A standalone page table and what it is checked against.</summary>
public sealed class TableState
{
    internal TableState(string name, PageTableOptions options, IoPageTable table, PageTableOracle? oracle, InvalidationLedger? ledger)
    {
        Name = name;
        Options = options;
        Table = table;
        Oracle = oracle;
        Ledger = ledger;
    }

    internal TableState(string name, PageTableOptions options, UserDomain user, PageTableOracle? oracle, InvalidationLedger? ledger)
    {
        Name = name;
        Options = options;
        User = user;
        Oracle = oracle;
        Ledger = ledger;
    }

    /// <summary>The table's name.</summary>
    public string Name { get; }

    /// <summary>The options the scenario gave (what the oracle follows).</summary>
    public PageTableOptions Options { get; }

    /// <summary>The library's model, or null for a user's table (<see cref="User"/>): checks that read a table's
    /// insides (leaves, PTE stores, table pages, invalidation commands) judge only the model.</summary>
    public IoPageTable? Table { get; }

    /// <summary>A user's table behind the IOMMU core the harness plays, or null for the model.</summary>
    public UserDomain? User { get; }

    /// <summary>Whether unmapped ranges wait for a sync (the model's gather, or the user's gathered range).</summary>
    public bool HasPendingGather => Table is null ? User!.Gathered is not null : !Pending.IsEmpty;

    /// <summary>Walks the table (not the IOTLB) for one address.</summary>
    /// <param name="iova">Any address.</param>
    /// <returns>The translation, or null for a hole or an address past the width.</returns>
    public Translation? Walk(ulong iova) => Table is { } table ? table.Translate(iova) : User!.Walk(iova);

    /// <summary>What a device gets reading <paramref name="iova"/> through the IOTLB (filling it on a miss).</summary>
    /// <param name="iova">The address.</param>
    /// <returns>The translation, or null for a fault.</returns>
    public Translation? DeviceAccess(ulong iova) => Table is { } table ? table.Iotlb.Access(iova) : User!.Access(iova);

    /// <summary>The gather unmaps fill until the next sync.</summary>
    public UnmapGather Pending { get; } = new();

    /// <summary>The definition, or null for a table with a table-page budget (the oracle has none).</summary>
    public PageTableOracle? Oracle { get; }

    /// <summary>The invalidation cost model, beside <see cref="Oracle"/>.</summary>
    public InvalidationLedger? Ledger { get; }

    /// <summary>The operation the model is in the middle of, or null between operations (for store watchers).</summary>
    public PageTableOperationKind? Current { get; internal set; }

    /// <summary>The short name of the variant for messages.</summary>
    public string Variant => $"split={Options.Split} invalidation={Options.Invalidation}";
}

/// <summary>The kinds of page-table operation.</summary>
public enum PageTableOperationKind
{
    /// <summary>The table was created.</summary>
    Create,

    /// <summary>A map.</summary>
    Map,

    /// <summary>An unmap into the gather.</summary>
    Unmap,

    /// <summary>An IOTLB sync.</summary>
    Sync,

    /// <summary>A lazy-mode queue flush.</summary>
    Flush,

    /// <summary>A device access.</summary>
    Access,
}

/// <summary>One operation on a table and both answers.</summary>
/// <param name="Table">The table.</param>
/// <param name="Kind">What was done.</param>
public sealed record PageTableOperation(TableState Table, PageTableOperationKind Kind)
{
    /// <summary>First IOVA (map, unmap, access).</summary>
    public ulong Iova { get; init; }

    /// <summary>First physical address (map).</summary>
    public ulong Pa { get; init; }

    /// <summary>Bytes (map, unmap).</summary>
    public ulong Size { get; init; }

    /// <summary>Rights (map).</summary>
    public Protection Protection { get; init; }

    /// <summary>The model's map result.</summary>
    public MapResult? ModelMap { get; init; }

    /// <summary>The oracle's map result, when the table has an oracle.</summary>
    public MapResult? OracleMap { get; init; }

    /// <summary>What the model's unmap returned.</summary>
    public ulong? ModelUnmapped { get; init; }

    /// <summary>The oracle's account of the unmap.</summary>
    public OracleUnmap? OracleUnmap { get; init; }

    /// <summary>The oracle's leaf that held the unmap's first page before it.</summary>
    public OracleLeaf? LeafAtStart { get; init; }

    /// <summary>Invalidation commands the sync or flush sent.</summary>
    public long Commands { get; init; }
}
