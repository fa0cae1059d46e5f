using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>
/// PT-06 (docs/semantics.md 4.5, atomicity): at every single PTE store of a map or unmap, every page whose translation is
/// the same before and after the whole call (by the definition) still translates to it, or the model reports the
/// window (its <see cref="IoPageTable.LastCallWindows"/>). A store is judged where it can change something: its
/// span's leaf boundaries before and after, and the leaves under a table it links.
/// </summary>
public sealed class UnchangedPagesTranslateAtEveryStore() : ScenarioCheck("PT-06")
{
    private readonly List<(PteStore Store, ulong Iova, Translation Was, Translation? Seen)> _gaps = [];
    private TableState? _watched;
    private SortedLeaves _before = SortedLeaves.Empty;
    private SortedLeaves _after = SortedLeaves.Empty;
    private long _stores;

    /// <inheritdoc/>
    public override void Attach(ScenarioMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        // A user's table reports no PTE stores; PT-06 judges the model's.
        machine.PageTables.TableCreated += table =>
        {
            if (table.Table is { } model)
            {
                model.Stored += store => Stored(table, store);
            }
        };
    }

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _gaps.Clear();
        _watched = null;
        string? name = context.Step switch
        {
            Scenarios.PageTableMapStep m => m.Table,
            Scenarios.PageTableUnmapStep u => u.Table,
            _ => null,
        };
        if (name is null || !context.Machine.PageTables.Tables.TryGetValue(name, out var t) || t.Oracle is not { } oracle || t.Table is not { } table)
        {
            return;
        }

        // The definition's after-state, computed before the model moves.
        var probe = PageTableOracle.FromLeaves(t.Options, oracle.Leaves);
        if (context.Step is Scenarios.PageTableMapStep map)
        {
            probe.Map(map.Iova, map.Paddr, map.Size, map.Protection);
        }
        else if (context.Step is Scenarios.PageTableUnmapStep unmap)
        {
            probe.Unmap(unmap.Iova, unmap.Size);
        }

        _before = new SortedLeaves(oracle.Leaves);
        _after = new SortedLeaves(probe.Leaves);
        _watched = t;
        _stores = table.StoreCount;
    }

    private void Stored(TableState table, PteStore store)
    {
        if (!ReferenceEquals(table, _watched) || !store.Reachable || table.Current is not (PageTableOperationKind.Map or PageTableOperationKind.Unmap))
        {
            return;
        }

        var points = new SortedSet<ulong> { store.Iova };
        UInt128 end = (UInt128)store.Iova + store.Span;
        points.UnionWith(_before.BoundariesIn(store.Iova, end));
        points.UnionWith(_after.BoundariesIn(store.Iova, end));
        if (store.LinksTable)
        {
            foreach (var leaf in table.Table!.LeavesIn(store.Iova, end))
            {
                points.Add(leaf.Iova);
                if (leaf.End < end)
                {
                    points.Add((ulong)leaf.End);
                }
            }
        }

        foreach (ulong p in points)
        {
            var was = _before.Translate(p);
            if (was is null || was != _after.Translate(p) || table.Walk(p) == was)
            {
                continue;
            }

            // Judged when the call returns: a rollback reports its windows only then.
            _gaps.Add((store, p, was.Value, table.Walk(p)));
        }
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_watched is not { Table: { } table } t)
        {
            return;
        }

        foreach (var gap in _gaps)
        {
            if (!table.LastCallWindows.Any(w => w.Contains(gap.Iova)))
            {
                context.Expect(false, () => $"{t.Name} ({t.Variant}): right after {gap.Store} iova 0x{gap.Iova:x} translates to {gap.Seen?.ToString() ?? "no translation"}, "
                    + $"but it translates to {gap.Was} both before and after the update: an unreported DMA window");
            }
            else
            {
                context.Label("window reported by the model");
            }
        }

        context.Label(context.Step is Scenarios.PageTableUnmapStep u && t.Options.Split == SplitPolicy.Split && table.StoreCount - _stores >= 1
            && _before.Translate(u.Iova) is not null, "split under live DMA");
    }
}
