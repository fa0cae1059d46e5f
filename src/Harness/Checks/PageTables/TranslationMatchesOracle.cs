using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>PT-01 (docs/semantics.md 4.3-4.4): every map and unmap returns what the page-by-page oracle returns, and
/// afterwards the table holds the oracle's leaves and walks every page (probed at each leaf's ends and last page, so the
/// offset inside a leaf counts) to the oracle's translation.</summary>
public sealed class TranslationMatchesOracle() : ScenarioCheck("PT-01")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.PageTables.Step is not { Kind: PageTableOperationKind.Map or PageTableOperationKind.Unmap } op || op.Table.Oracle is not { } oracle)
        {
            return;
        }

        var t = op.Table;
        if (op.Kind == PageTableOperationKind.Map)
        {
            context.Expect(op.ModelMap == op.OracleMap, () => $"{t.Name}: map returned {op.ModelMap}, the oracle gives {op.OracleMap}");
        }
        else
        {
            context.Expect(op.ModelUnmapped == op.OracleUnmap!.Returned,
                () => $"{t.Name}: unmap returned {PageTableText.Size(op.ModelUnmapped ?? 0)}, the {t.Options.Split} policy gives {PageTableText.Size(op.OracleUnmap.Returned)}");
            if (op.LeafAtStart is { } l && (op.Iova != l.Iova || op.Size < l.Size))
            {
                ulong returned = op.ModelUnmapped ?? 0;
                context.Label(t.Options.Split switch
                {
                    SplitPolicy.Split when returned > 0 => "superpage split",
                    SplitPolicy.WholeLeaf when returned > op.Size => "whole-leaf over-unmap",
                    SplitPolicy.Refuse => "refused partial unmap",
                    _ => "",
                });
            }

            context.Label(op.ModelUnmapped < op.Size && op.LeafAtStart is null, "hole");
        }

        ulong granule = t.Options.Format.Granule;
        if (t.Table is not { } table)
        {
            ProbeUserTable(context, t, oracle, granule);
            return;
        }

        // Leaf for leaf the definition's, and every page walks as the definition says: both are affine between leaf
        // boundaries, so probing each leaf's first page, last page and end on either side decides every page.
        var leaves = table.Leaves();
        var expected = oracle.Leaves;
        bool same = leaves.Count == expected.Count;
        for (int i = 0; same && i < leaves.Count; i++)
        {
            var (l, e) = (leaves[i], expected[i]);
            same = l.Iova == e.Iova && l.Size == e.Size && l.Pa == e.Pa && l.Protection == e.Protection;
        }

        context.Expect(same,
            () => $"{t.Name}: leaves\n  {string.Join("\n  ", leaves)}\nthe oracle holds\n  {string.Join("\n  ", expected.Select(l => $"leaf iova=0x{l.Iova:x} pa=0x{l.Pa:x} size={PageTableText.Size(l.Size)} {PageTableText.Of(l.Protection)}"))}");
        foreach (var leaf in leaves)
        {
            Probe(context, t, oracle, leaf.Iova, leaf.Size, granule);
        }

        // The same leaves on both sides probe the same points once.
        foreach (var leaf in same ? [] : expected)
        {
            Probe(context, t, oracle, leaf.Iova, leaf.Size, granule);
        }

        context.Label(oracle.Leaves.Any(l => l.Size == t.Options.Format.PageSizes[^1]), "largest leaf");
        context.Label(t.Options.Format.Granule == 0x1_0000, "64K granule");
        context.Label(op.Kind == PageTableOperationKind.Map && (UInt128)op.Iova + op.Size == t.Options.Format.AddressLimit, "map reaches the top of the address width");
    }

    // A user's table shows only its walk, one round trip per address. Both walks are affine along a run of leaves
    // that continue one another (contiguous IOVA and PA, same rights), so a run's ends decide most of it; inside a long
    // run the leaf starts are sampled (at most SampledLeaves, evenly, first and last included), and every range ever
    // mapped there is probed at its ends, where a walk that differs anywhere usually differs.
    private const int SampledLeaves = 32;

    private static void ProbeUserTable(CheckContext context, TableState t, Verify.Oracle.PageTables.PageTableOracle oracle, ulong granule)
    {
        var leaves = oracle.Leaves;
        for (int first = 0; first < leaves.Count;)
        {
            int last = first;
            while (last + 1 < leaves.Count && Continues(leaves[last], leaves[last + 1]))
            {
                last++;
            }

            var (a, b) = (leaves[first], leaves[last]);
            Probe(context, t, oracle, a.Iova, (ulong)((UInt128)b.Iova + b.Size - a.Iova), granule);
            int count = last - first + 1;
            int step = Math.Max(1, count / SampledLeaves);
            for (int i = first; i <= last; i += step)
            {
                Probe(context, t, oracle, leaves[i].Iova, leaves[i].Size, granule);
            }

            first = last + 1;
        }

        foreach (var range in t.User!.EverMapped)
        {
            Probe(context, t, oracle, range.Start, (ulong)range.Size, granule);
        }

        context.Label(oracle.Leaves.Any(l => l.Size == t.Options.Format.PageSizes[^1]), "largest leaf");
    }

    private static bool Continues(Verify.Oracle.PageTables.OracleLeaf a, Verify.Oracle.PageTables.OracleLeaf b) =>
        (UInt128)a.Iova + a.Size == b.Iova && (UInt128)a.Pa + a.Size == b.Pa && a.Protection == b.Protection;

    private static void Probe(CheckContext context, TableState t, Verify.Oracle.PageTables.PageTableOracle oracle, ulong iova, ulong size, ulong granule)
    {
        UInt128 limit = t.Options.Format.AddressLimit;
        foreach (UInt128 point in new[] { (UInt128)iova, (UInt128)iova + size - granule, (UInt128)iova + size })
        {
            if (point >= limit)
            {
                continue;
            }

            ulong a = (ulong)point;
            var got = t.Walk(a);
            var want = oracle.Translate(a);
            if (got != want)
            {
                context.Expect(false, () => $"{t.Name}: IOVA 0x{a:x} translates to {got?.ToString() ?? "nothing"}, the oracle gives {want?.ToString() ?? "nothing"}");
            }
        }
    }
}
