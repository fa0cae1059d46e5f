using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>PT-03 (docs/semantics.md 4.3): a map is all-or-nothing. Judged from the table's own leaves before the map (so a
/// table with a table-page budget is judged too): a map that succeeds is one the definition allows and leaves the
/// definition's leaves; one that fails fails with the definition's errno (or ENOMEM against a budget) and changes no
/// leaf, no table page and nothing awaiting a sync.</summary>
public sealed class FailedMapChangesNothing() : ScenarioCheck("PT-03")
{
    private (IReadOnlyList<PageTableLeaf> Leaves, int Tables, int Awaiting, long Stores, MapResult Want, IReadOnlyList<OracleLeaf> After)? _before;

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _before = null;
        // A user's table shows no leaves or table pages; PT-03 judges the model's rollback.
        if (context.Step is Scenarios.PageTableMapStep m && context.Machine.PageTables.Tables.TryGetValue(m.Table, out var state) && state.Table is { } table)
        {
            var t = (Options: state.Options, Table: table);
            var leaves = t.Table.Leaves();
            var definition = PageTableOracle.FromLeaves(t.Options, leaves.Select(l => new OracleLeaf(l.Iova, l.Size, l.Pa, l.Protection)));
            var want = definition.Map(m.Iova, m.Paddr, m.Size, m.Protection);
            _before = (leaves, t.Table.TablePageCount, t.Table.TablePagesAwaitingSync, t.Table.StoreCount, want, definition.Leaves);
        }
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_before is not { } before || context.Machine.PageTables.Step is not { Kind: PageTableOperationKind.Map, ModelMap: { } got } op)
        {
            return;
        }

        var t = op.Table;
        if (t.Table is not { } table)
        {
            return;
        }

        string where = $"{t.Name} ({t.Variant})";
        if (got.Succeeded)
        {
            context.Expect(before.Want.Succeeded, () => $"{where}: the model mapped but the definition says {before.Want.Error}");
            var after = table.Leaves().Select(l => new OracleLeaf(l.Iova, l.Size, l.Pa, l.Protection));
            context.Expect(!before.Want.Succeeded || after.SequenceEqual(before.After), () => $"{where}: the map succeeded but the leaves differ from the definition's");
            context.Label("map succeeded");
            return;
        }

        context.Expect(got.Error == before.Want.Error || (got.Error == Errno.ENOMEM && t.Options.MaxTablePages is not null),
            () => $"{where}: the model failed with {got.Error} but the definition says {before.Want}");
        context.Expect(table.Leaves().SequenceEqual(before.Leaves) && table.TablePageCount == before.Tables && table.TablePagesAwaitingSync == before.Awaiting,
            () => $"{where}: the map failed with {got.Error} yet changed the table ({before.Leaves.Count} -> {table.Leaves().Count} leaves, "
                + $"{before.Tables} -> {table.TablePageCount} table pages, {before.Awaiting} -> {table.TablePagesAwaitingSync} awaiting sync)");
        context.Label(table.StoreCount - before.Stores > 0 ? $"rolled back after {got.Error}" : $"refused with {got.Error}");
    }
}
