using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary>Unmaps a range of a standalone table into its pending gather (<c>iommu_unmap</c> without the sync,
/// docs/semantics.md 4.4).</summary>
/// <param name="Table">The table.</param>
/// <param name="Iova">First IOVA.</param>
/// <param name="Size">Bytes asked.</param>
public sealed record PageTableUnmapStep(string Table, ulong Iova, ulong Size) : ScenarioStep
{
    /// <summary>The <c>pt-unmap</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableUnmapStep>("pt-unmap", ["table", "iova", "size"],
        b => new PageTableUnmapStep(b.String("table"), b.Address("iova"), b.Address("size")),
        (s, w) =>
        {
            w.WriteString("table", s.Table);
            ScenarioJson.Number(w, "iova", s.Iova);
            ScenarioJson.Number(w, "size", s.Size);
        });


    internal override void Run(ScenarioMachine machine)
    {
        var done = machine.PageTables.Unmap(Table, Iova, Size);
        if (machine.Log.Describing)
        {
            var t = done.Table;
            machine.Log.Say(t.Table is { } table
                ? string.Create(CultureInfo.InvariantCulture, $"unmapped {PageTableText.Size(done.ModelUnmapped ?? 0)}; pending {t.Pending}; {table.Leaves().Count} leaves, {table.TablePageCount} table pages")
                : $"unmapped {PageTableText.Size(done.ModelUnmapped ?? 0)}; gathered {t.User!.Gathered?.ToString() ?? "nothing"}");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Table}: unmap iova=0x{Iova:x} size={PageTableText.Size(Size)}");
}
