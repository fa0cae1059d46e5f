using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>
/// PT-07 (docs/semantics.md 4.5): a table holds exactly the table pages its leaves need (an empty one is freed, a needed
/// one never lost); a table page freed by an unmap is not written again before the sync that releases it (lazy: the
/// queue flush); once synced only the pages of a gather not yet synced still wait; and no more table pages are ever
/// allocated than were in use at the peak (memory stays bounded).
/// </summary>
public sealed class TablePagesFreedWhenEmptyAndOnlyAfterSync() : ScenarioCheck("PT-07")
{
    private readonly Dictionary<TableState, Watch> _watches = [];
    private readonly List<string> _violations = [];
    private int _step;

    /// <inheritdoc/>
    public override void Attach(ScenarioMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        machine.PageTables.TableCreated += table =>
        {
            // A user's table has no table pages the harness can see.
            if (table.Table is null)
            {
                return;
            }

            var watch = new Watch();
            _watches[table] = watch;
            table.Table.TablePageFreed += page =>
            {
                if (table.Current is not PageTableOperationKind.Map)
                {
                    watch.Freed[page] = (_step, table.Pending.ForcedSyncs);
                }
            };
            table.Table.Stored += store =>
            {
                watch.Peak = Math.Max(watch.Peak, table.Table.TablePageCount + table.Table.TablePagesAwaitingSync);
                if (watch.Freed.TryGetValue(store.TablePage, out var f) && (table.Options.Flush == FlushMode.Lazy || table.Pending.ForcedSyncs == f.ForcedSyncs))
                {
                    _violations.Add($"{table.Name} ({table.Variant}): table page {store.TablePage}, freed at step {f.Step}, was written ({store}) before any sync");
                }
            };
        };
    }

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _step = context.Index;
        _violations.Clear();
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (string violation in _violations)
        {
            context.Expect(false, () => violation);
        }

        if (context.Machine.PageTables.Step is not { Kind: not (PageTableOperationKind.Access or PageTableOperationKind.Create) } op)
        {
            return;
        }

        var t = op.Table;
        if (!_watches.TryGetValue(t, out var watch) || t.Table is not { } table)
        {
            return;
        }

        bool lazy = t.Options.Flush == FlushMode.Lazy;
        if ((op.Kind == PageTableOperationKind.Sync && !lazy) || (op.Kind == PageTableOperationKind.Flush && lazy))
        {
            // Released now: everything but what sits in a gather not yet synced.
            var unsynced = t.Pending.FreedTablePages.ToHashSet();
            foreach (int page in watch.Freed.Keys.Where(p => !unsynced.Contains(p)).ToList())
            {
                watch.Freed.Remove(page);
            }

            context.Expect(table.TablePagesAwaitingSync == unsynced.Count,
                () => $"{t.Name}: {table.TablePagesAwaitingSync} table pages still wait after the {(lazy ? "queue flush" : "sync")}, but only {unsynced.Count} sit in a gather not yet synced");
        }

        if (t.Oracle is { } oracle)
        {
            int need = oracle.RequiredTablePages();
            context.Expect(table.TablePageCount == need,
                () => $"{t.Name}: the table holds {table.TablePageCount} table pages but its leaves need {need} (an empty table page was kept, or a needed one lost)");
        }

        context.Expect(table.TablePagesAllocated <= Math.Max(watch.Peak, 1),
            () => $"{t.Name}: {table.TablePagesAllocated} table pages allocated although at most {watch.Peak} were ever in use");
        context.Label(table.TablePagesAwaitingSync > 0, "table pages awaiting sync");
        context.Label(table.TablePagesAllocated > table.TablePageCount, "table pages freed");
    }

    private sealed class Watch
    {
        public Dictionary<int, (int Step, int ForcedSyncs)> Freed { get; } = [];

        public int Peak { get; set; } = 1;
    }
}
