using System.Globalization;
using Verify.Harness.Running;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap.Dma;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary>
/// The page-table part of the runner: standalone IOMMU page tables with their IOTLBs, each with a pending gather
/// that <c>pt-unmap</c> fills and <c>pt-sync</c> sends. After every page-table step the table must hold the leaves
/// the page-by-page <see cref="PageTableOracle"/> holds and a map or unmap must return what it returns (PT-01, PT-04);
/// after a strict <c>pt-sync</c> or a <c>pt-flush</c> no IOTLB entry may disagree with the table (PT-05, the
/// over-unmapped tail of a large leaf included).
/// </summary>
public sealed partial class ScenarioRunner
{
    private readonly Dictionary<string, TableState> _tables = new(StringComparer.Ordinal);

    private string RunPageTable(ScenarioStep step, StepContext context)
    {
        switch (step)
        {
            case PageTableStep s:
                if (_tables.ContainsKey(s.Name))
                {
                    throw new StepException($"a page table named '{s.Name}' exists already");
                }

                // The oracle knows no table-page budget, so a table with one is checked by its expectations only.
                var oracle = s.Options.MaxTablePages is null ? new PageTableOracle(s.Options) : null;
                var model = new IoPageTable(_options.PageTables?.Invoke(s.Options) ?? s.Options);
                _tables.Add(s.Name, new TableState(s.Name, model, new UnmapGather(), oracle, oracle is null ? null : new InvalidationLedger(s.Options)));
                return "created, empty";
            case PageTableMapStep s:
            {
                var t = TableNamed(s.Table);
                var before = (Leaves: t.Table.Leaves(), t.Table.TablePageCount, t.Table.TablePagesAwaitingSync);
                var result = t.Table.Map(s.Iova, s.Paddr, s.Size, s.Protection);
                context.Raw = result.Succeeded ? DmaResult.Ok(result.Mapped) : DmaResult.Fail(result.Error);
                if (t.Oracle?.Map(s.Iova, s.Paddr, s.Size, s.Protection) is { } expected)
                {
                    context.Invariants.Expect(expected == result, () => $"{t.Name}: map returned {result}, the oracle gives {expected}");
                    if (expected.Succeeded && t.Oracle.LastMapReplacedLive)
                    {
                        t.Ledger!.MapReplacedLive(t.Oracle.LastMapFlush.Iova, t.Oracle.LastMapFlush.Size, t.Table.Options.Format.Granule);
                    }
                }

                // PT-03, budget tables included: a failed map leaves the table as it found it.
                context.Invariants.Expect(result.Succeeded || (t.Table.Leaves().SequenceEqual(before.Leaves)
                    && t.Table.TablePageCount == before.TablePageCount && t.Table.TablePagesAwaitingSync == before.TablePagesAwaitingSync),
                    () => $"{t.Name}: the map failed with {result.Error} yet changed the table ({before.Leaves.Count} -> {t.Table.Leaves().Count} leaves, " +
                          $"{before.TablePageCount} -> {t.Table.TablePageCount} table pages, {before.TablePagesAwaitingSync} -> {t.Table.TablePagesAwaitingSync} awaiting sync)");

                return $"{result}; {Describe(t)}";
            }

            case PageTableUnmapStep s:
            {
                var t = TableNamed(s.Table);
                ulong removed = t.Table.Unmap(s.Iova, s.Size, t.Pending);
                context.Raw = DmaResult.Ok(removed);
                if (t.Oracle?.Unmap(s.Iova, s.Size) is { } expected)
                {
                    t.Ledger!.Gather(expected.Removed);
                    context.Invariants.Expect(expected.Returned == removed,
                        () => $"{t.Name}: unmap returned {PageTableText.Size(removed)}, the {t.Table.Options.Split} policy gives {PageTableText.Size(expected.Returned)}");
                }

                return string.Create(CultureInfo.InvariantCulture, $"unmapped {PageTableText.Size(removed)}; pending {t.Pending}; {Describe(t)}");
            }

            case PageTableSyncStep s:
            {
                var t = TableNamed(s.Table);
                long commands = t.Table.Iotlb.CommandCount;
                t.Table.Sync(t.Pending);
                t.Ledger?.Sync();
                if (t.Table.Options.Flush == FlushMode.Strict)
                {
                    CheckReleased(context.Invariants, t);
                    if (t.Pending.IsEmpty)
                    {
                        CheckNoStale(context.Invariants, t);
                    }
                }

                return string.Create(CultureInfo.InvariantCulture, $"{t.Table.Iotlb.CommandCount - commands} invalidation command(s)");
            }

            case PageTableFlushStep s:
            {
                var t = TableNamed(s.Table);
                long commands = t.Table.Iotlb.CommandCount;
                t.Table.FlushQueue();
                t.Ledger?.FlushQueue();
                // Unmaps not synced yet are not promised to be gone from the IOTLB, flush or no flush (PT-05).
                if (t.Pending.IsEmpty)
                {
                    CheckNoStale(context.Invariants, t);
                }

                if (t.Table.Options.Flush == FlushMode.Lazy)
                {
                    CheckReleased(context.Invariants, t);
                }

                return string.Create(CultureInfo.InvariantCulture, $"{t.Table.Iotlb.CommandCount - commands} invalidation command(s)");
            }

            case PageTableAccessStep s:
            {
                var t = TableNamed(s.Table);
                var got = t.Table.Iotlb.Access(s.Iova);
                return $"the device gets {got?.ToString() ?? "a fault"}";
            }

            default:
                throw new StepException($"the runner cannot run '{step.Kind}' steps");
        }
    }

    // After every step but a device access: the table pages are the ones its leaves need (PT-07) and the
    // invalidation commands sent are the cost model's (PT-08). After a map or unmap also PT-01: the leaves are the
    // oracle's, and so is every page's walk. A converted case has many device accesses, which change neither.
    private void CheckPageTables(ScenarioStep step, Verdict verdict)
    {
        string? touched = step switch
        {
            PageTableMapStep s => s.Table,
            PageTableUnmapStep s => s.Table,
            PageTableSyncStep s => s.Table,
            PageTableFlushStep s => s.Table,
            _ => null,
        };
        if (touched is null || !_tables.TryGetValue(touched, out var t) || t.Oracle is null)
        {
            return;
        }

        int need = t.Oracle.RequiredTablePages();
        verdict.Expect(t.Table.TablePageCount == need,
            () => $"{t.Name}: the table holds {t.Table.TablePageCount} table pages but its leaves need {need} (an empty table page was kept, or a needed one lost)");
        CheckCommands(verdict, t);
        if (step is PageTableMapStep or PageTableUnmapStep)
        {
            var leaves = t.Table.Leaves();
            var actual = leaves.Select(l => (l.Iova, l.Size, l.Pa, l.Protection)).ToList();
            var expected = t.Oracle!.Leaves.Select(l => (l.Iova, l.Size, l.Pa, l.Protection)).ToList();
            verdict.Expect(actual.SequenceEqual(expected),
                () => $"{t.Name}: leaves\n  {string.Join("\n  ", leaves)}\nthe oracle holds\n  {string.Join("\n  ", t.Oracle.Leaves.Select(l => $"leaf iova=0x{l.Iova:x} pa=0x{l.Pa:x} size={PageTableText.Size(l.Size)} {PageTableText.Of(l.Protection)}"))}");
            // The walk must agree with the leaves it lists (PT-01): both are affine between leaf boundaries, so a
            // probe at each boundary and at each leaf's last page decides every page, the offset inside a leaf too.
            ulong granule = t.Table.Options.Format.Granule;
            var points = leaves.SelectMany(l => new[] { l.Iova, l.Iova + l.Size - granule, l.Iova + l.Size })
                .Concat(t.Oracle.Leaves.SelectMany(l => new[] { l.Iova, l.End - granule, l.End }))
                .Where(a => a < t.Table.Options.Format.AddressLimit).Distinct().Order();
            foreach (ulong a in points)
            {
                var got = t.Table.Translate(a);
                var want = t.Oracle.Translate(a);
                verdict.Expect(got == want, () => $"{t.Name}: IOVA 0x{a:x} translates to {got?.ToString() ?? "nothing"}, the oracle gives {want?.ToString() ?? "nothing"}");
            }
        }
    }

    private void CheckPageTableExpectations(StepExpectations e, Verdict verdict)
    {
        foreach (var t in e.Translations.Where(t => t.OfPageTable))
        {
            string? actual = _tables.TryGetValue(t.Target, out var table) ? table.Table.Translate(t.Iova)?.ToString() : "no such table";
            verdict.Expect(actual == t.To, () => $"{t.Target}: IOVA 0x{t.Iova:x} translates to {actual ?? "nothing"}, expected {t.To ?? "nothing"}");
        }

        foreach (var (name, leaves) in e.Leaves)
        {
            var actual = _tables.TryGetValue(name, out var t) ? t.Table.Leaves().Select(l => l.ToString()).ToList() : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(leaves),
                () => actual is null ? $"leaves: no page table named '{name}'" : $"{name}: leaves\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", leaves)}");
        }

        foreach (var (name, stale) in e.Stale)
        {
            var actual = _tables.TryGetValue(name, out var t) ? StaleEntries(t.Table) : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(stale),
                () => actual is null ? $"stale: no page table named '{name}'" : $"{name}: stale IOTLB entries\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", stale)}");
        }
    }

    // PT-08: as many commands as the cost model says, and the ranged ones cover exactly the removed leaves.
    private static void CheckCommands(Verdict verdict, TableState t)
    {
        var iotlb = t.Table.Iotlb;
        verdict.Expect(iotlb.CommandCount == t.Ledger!.Commands,
            () => $"{t.Name}: the table has sent {iotlb.CommandCount} invalidation commands but the cost model says {t.Ledger.Commands} ({string.Join("; ", iotlb.Commands.TakeLast(3))})");
        var ranges = iotlb.Commands.Where(k => k.Kind != InvalidationKind.WholeDomain).Select(k => (k.Iova, k.Iova + k.Size, k.Granule)).ToList();
        verdict.Expect(ranges.SequenceEqual(t.Ledger.Invalidated),
            () => $"{t.Name}: the invalidated ranges do not cover exactly the removed leaves (table: {string.Join(", ", ranges.Select(r => $"[0x{r.Item1:x}..0x{r.Item2:x})"))}; " +
                  $"cost model: {string.Join(", ", t.Ledger.Invalidated.Select(r => $"[0x{r.Start:x}..0x{r.End:x})"))})");
    }

    // PT-07: once synced (strict) or flushed (lazy), only the table pages of a gather not yet synced still wait.
    private static void CheckReleased(Verdict verdict, TableState t)
    {
        int unsynced = t.Pending.FreedTablePages.Distinct().Count();
        verdict.Expect(t.Table.TablePagesAwaitingSync == unsynced,
            () => $"{t.Name}: {t.Table.TablePagesAwaitingSync} table pages still wait after the {(t.Table.Options.Flush == FlushMode.Lazy ? "queue flush" : "sync")}, but only {unsynced} sit in a gather not yet synced");
    }

    private static void CheckNoStale(Verdict verdict, TableState t)
    {
        var stale = StaleEntries(t.Table);
        verdict.Expect(stale.Count == 0, () => $"{t.Name}: after the sync the IOTLB still holds {string.Join("; ", stale)}");
        // A cached walk that skips to a freed or replaced table page is as stale as a cached leaf (PT-05).
        var walks = t.Table.Iotlb.CachedWalks.Where(w => t.Table.TablePageAt(w.Level, w.Iova) != w.TablePage).OrderBy(w => w.Iova).ToList();
        verdict.Expect(walks.Count == 0, () => $"{t.Name}: after the sync the walk cache still points " + string.Join("; ", walks.Select(w =>
            string.Create(CultureInfo.InvariantCulture, $"level {w.Level} at iova 0x{w.Iova:x} to table page {w.TablePage}, linked there: {t.Table.TablePageAt(w.Level, w.Iova)}"))));
    }

    /// <summary>IOTLB leaf entries whose translation is not the table's any more, in IOVA order, as
    /// <c>iova=0x200000 -> 0x40200000 rw (from a 2M leaf), table: nothing</c>.</summary>
    private static List<string> StaleEntries(IoPageTable table) =>
    [
        .. table.Iotlb.CachedLeaves
            .Where(l => table.Translate(l.Iova) != new Translation(l.Pa, l.Protection))
            .OrderBy(l => l.Iova)
            .Select(l => $"iova=0x{l.Iova:x} -> 0x{l.Pa:x} {PageTableText.Of(l.Protection)} (from a {PageTableText.Size(l.LeafSize)} leaf), table: {table.Translate(l.Iova)?.ToString() ?? "nothing"}"),
    ];

    private static string Describe(TableState t) =>
        string.Create(CultureInfo.InvariantCulture, $"{t.Table.Leaves().Count} leaves, {t.Table.TablePageCount} table pages");

    private TableState TableNamed(string name) =>
        _tables.TryGetValue(name, out var t) ? t : throw new StepException($"no page table named '{name}'; create it with a 'page-table' step");

    /// <summary>A standalone page table, the gather its unmaps fill until a sync, and the oracle and invalidation cost
    /// model it is checked against (both null for a table with a table-page budget).</summary>
    private sealed record TableState(string Name, IoPageTable Table, UnmapGather Pending, PageTableOracle? Oracle, InvalidationLedger? Ledger);
}
