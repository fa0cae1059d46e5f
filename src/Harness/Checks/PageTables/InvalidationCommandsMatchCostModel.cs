using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>PT-08 (docs/semantics.md 4.5): after every map, unmap, sync and flush the table has sent exactly as many
/// invalidation commands as the cost model says for its mode (per leaf, range, whole domain above a threshold), and the
/// ranged ones cover exactly the removed leaves at their granules.</summary>
public sealed class InvalidationCommandsMatchCostModel() : ScenarioCheck("PT-08")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.PageTables.Step is not { Kind: not (PageTableOperationKind.Access or PageTableOperationKind.Create) } op || op.Table.Ledger is not { } ledger || op.Table.Table is not { } table)
        {
            return;
        }

        var t = op.Table;
        var iotlb = table.Iotlb;
        context.Expect(iotlb.CommandCount == ledger.Commands,
            () => $"{t.Name}: the table has sent {iotlb.CommandCount} invalidation commands but the cost model says {ledger.Commands} ({string.Join("; ", iotlb.Commands.TakeLast(3))})");
        var ranges = iotlb.Commands.Where(k => k.Kind != InvalidationKind.WholeDomain).Select(k => (k.Iova, k.Iova + k.Size, k.Granule)).ToList();
        context.Expect(ranges.SequenceEqual(ledger.Invalidated),
            () => $"{t.Name}: the invalidated ranges do not cover exactly the removed leaves (table: {string.Join(", ", ranges.Select(r => $"[0x{r.Item1:x}..0x{r.Item2:x})"))}; "
                + $"cost model: {string.Join(", ", ledger.Invalidated.Select(r => $"[0x{r.Start:x}..0x{r.End:x})"))})");
        context.Label(op.Commands > 1, "several commands for one step");
        context.Label(iotlb.Commands.Any(k => k.Kind == InvalidationKind.WholeDomain), "whole-domain flush");
        context.Label(t.Pending.ForcedSyncs > 0, "forced sync (granule change or gap)");
    }
}
