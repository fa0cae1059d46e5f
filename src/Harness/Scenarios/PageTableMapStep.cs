using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary>Maps a range into a standalone table (<c>iommu_map</c>: all-or-nothing, docs/semantics.md 4.3).</summary>
/// <param name="Table">The table.</param>
/// <param name="Iova">First IOVA.</param>
/// <param name="Paddr">First physical address.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Protection">Rights.</param>
public sealed record PageTableMapStep(string Table, ulong Iova, ulong Paddr, ulong Size, Protection Protection) : ScenarioStep
{
    /// <summary>The <c>pt-map</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableMapStep>("pt-map", ["table", "iova", "paddr", "size", "prot"],
        b => new PageTableMapStep(b.String("table"), b.Address("iova"), b.Address("paddr"), b.Address("size"),
            b.Has("prot") ? b.Choice("prot", ScenarioVocabulary.Protections) : Protection.ReadWrite),
        (s, w) =>
        {
            w.WriteString("table", s.Table);
            ScenarioJson.Number(w, "iova", s.Iova);
            ScenarioJson.Number(w, "paddr", s.Paddr);
            ScenarioJson.Number(w, "size", s.Size);
            if (s.Protection != Protection.ReadWrite) { w.WriteString("prot", ScenarioVocabulary.NameOf(ScenarioVocabulary.Protections, s.Protection)); }
        });


    internal override void Run(ScenarioMachine machine)
    {
        var done = machine.PageTables.Map(Table, Iova, Paddr, Size, Protection);
        if (machine.Log.Describing)
        {
            machine.Log.Say(done.Table.Table is { } table
                ? string.Create(CultureInfo.InvariantCulture, $"{done.ModelMap}; {table.Leaves().Count} leaves, {table.TablePageCount} table pages")
                : $"{done.ModelMap}");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Table}: map iova=0x{Iova:x} pa=0x{Paddr:x} size={PageTableText.Size(Size)} {PageTableText.Of(Protection)}");
}
