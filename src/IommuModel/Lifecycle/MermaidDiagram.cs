using System.Collections.Immutable;
using System.Text;

namespace Verify.IommuModel.Lifecycle;

/// <summary>Renders a transition table as a Mermaid <c>stateDiagram-v2</c> and as the page <c>docs/device-lifecycle.md</c>.</summary>
/// <remarks>Both are functions of the rows alone, in table order, so a committed copy can be compared byte for byte.</remarks>
public static class MermaidDiagram
{
    /// <summary>The diagram: one edge per transition row, labelled with the trigger and the guard (refusals are not edges).</summary>
    /// <param name="table">The rows.</param>
    /// <returns>The diagram text, lines ending in <c>\n</c>.</returns>
    public static string FromTable(ImmutableArray<TransitionRow> table)
    {
        var text = new StringBuilder("stateDiagram-v2\n").Append($"    [*] --> {DeviceStateKind.Unplugged}\n");
        foreach (var row in table.Where(r => !r.Refuses))
        {
            text.Append($"    {row.From} --> {row.To} : {Label(row)}\n");
        }

        return text.ToString();
    }

    /// <summary>The whole page: what the machine models, the diagram, and every row including the refusals.</summary>
    /// <param name="table">The rows.</param>
    /// <returns>The Markdown text, lines ending in <c>\n</c>.</returns>
    public static string Document(ImmutableArray<TransitionRow> table)
    {
        var text = new StringBuilder()
            .Append("# Device life cycle\n\n")
            .Append("Generated from `DeviceLifecycle.Table` (`src/IommuModel/Lifecycle`) by `MermaidDiagram.Document`; ")
            .Append("`LifecycleTests` checks this file is current (regenerate with `VERIFY_UPDATE_GOLDEN=1 dotnet test tests/Properties ")
            .Append("--filter FullyQualifiedName~Lifecycle`).\n\n")
            .Append("One assigned device seen from the device ([semantics.md](semantics.md) 7). DMA remapping is global in the guest, but what it ")
            .Append("means for a device is per device: with remapping off, or with a passthrough context entry, the device's address ")
            .Append("space is the shared nodmar alias of all guest RAM; with remapping on, the context entry decides: none (no DMA) or ")
            .Append("a domain (the IOMMU region, translated by the domain's tables). Switching between the alias and the IOMMU region ")
            .Append("is two transactions in QEMU, so vfio sees everything unmapped and then the other side added. An mdev vendor ")
            .Append("driver's pins are dropped whenever vfio unmaps under them (the DMA-unmap notifier), including on unplug.\n\n")
            .Append("Every (state, trigger) pair has at least one row; within a pair the first row whose guard holds applies. ")
            .Append("Refusals are not drawn; the table below lists them with their reasons.\n\n")
            .Append("```mermaid\n").Append(FromTable(table)).Append("```\n\n")
            .Append("| from | trigger | guard | to | pins | QEMU's effect or reason refused |\n")
            .Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var row in table)
        {
            text.Append($"| {row.From} | {row.Trigger} | {row.Guard.Name} | {(row.Refuses ? "refused" : row.To.ToString())} | ")
                .Append($"{(row.Refuses ? "" : row.Pins.ToString())} | {row.Effect} |\n");
        }

        return text.ToString();
    }

    private static string Label(TransitionRow row) =>
        row.Guard == DeviceLifecycle.Always ? row.Trigger.ToString() : $"{row.Trigger} [{row.Guard.Name}]";
}
