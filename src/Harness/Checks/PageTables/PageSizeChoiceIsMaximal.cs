using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>PT-02 (docs/semantics.md 4.2): <c>iommu_pgsize</c>'s choice (largest size both addresses are aligned to that fits,
/// runs stopping at the next larger boundary) equals a brute-force search for the fewest pages, for every aligned map and
/// (iova alignment only) unmap; and a map into an empty range leaves exactly those pages as leaves.</summary>
public sealed class PageSizeChoiceIsMaximal() : ScenarioCheck("PT-02")
{
    private bool _rangeWasEmpty;

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _rangeWasEmpty = context.Step is Scenarios.PageTableMapStep m && context.Machine.PageTables.Tables.TryGetValue(m.Table, out var t)
            && t.Oracle is { } oracle && !oracle.Leaves.Any(l => l.Iova < (UInt128)m.Iova + m.Size && m.Iova < l.End);
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.PageTables.Step is not { Kind: PageTableOperationKind.Map or PageTableOperationKind.Unmap } op)
        {
            return;
        }

        var format = op.Table.Options.Format;
        if (op.Size == 0 || (UInt128)op.Iova + op.Size > format.AddressLimit || ((op.Iova | op.Size | (op.Kind == PageTableOperationKind.Map ? op.Pa : 0)) & (format.Granule - 1)) != 0)
        {
            return;
        }

        ulong pa = op.Kind == PageTableOperationKind.Map ? op.Pa : op.Iova;
        var best = PageTableOracle.BestPages(format, op.Iova, pa, op.Size);
        var chosen = new List<(ulong Iova, ulong Pa, ulong Size)>();
        ulong iova = op.Iova, p = pa, left = op.Size;
        int runs = 0;
        while (left > 0)
        {
            var (pageSize, count) = PageSizeChoice.Next(format.PageSizeBitmap, iova, p, left);
            runs++;
            for (ulong k = 0; k < count; k++, iova += pageSize, p += pageSize, left -= pageSize)
            {
                chosen.Add((iova, p, pageSize));
            }
        }

        if (!chosen.SequenceEqual(best))
        {
            int at = chosen.Zip(best).TakeWhile(x => x.First == x.Second).Count();
            context.Expect(false, () => $"{op.Table.Name}: {context.Step} on {format.Name}: page {at + 1} is {Page(chosen.ElementAtOrDefault(at))} but the brute-force best is {Page(best.ElementAtOrDefault(at))}");
        }

        if (op.Kind == PageTableOperationKind.Map && _rangeWasEmpty && op.ModelMap is { Succeeded: true } && op.Table.Table is { } table)
        {
            var leaves = table.LeavesIn(op.Iova, (UInt128)op.Iova + op.Size).Select(l => (l.Iova, l.Pa, l.Size)).ToList();
            context.Expect(leaves.SequenceEqual(best), () => $"{op.Table.Name}: the map left {leaves.Count} leaves, not the {best.Count} best pages");
        }

        context.Label(best.Any(b => b.Size == format.PageSizes[^1]), "largest page used");
        context.Label(runs > 1 && best.Select(b => b.Size).Distinct().Count() > 1, "run stops at a larger-page boundary");
        context.Label(op.Kind == PageTableOperationKind.Map && ((op.Iova ^ op.Pa) & (format.PageSizes[^1] - 1)) != 0, "pa skewed from iova");
    }

    private static string Page((ulong Iova, ulong Pa, ulong Size) page) =>
        page == default ? "nothing" : $"{PageTableText.Size(page.Size)} at iova 0x{page.Iova:x} pa 0x{page.Pa:x}";
}
