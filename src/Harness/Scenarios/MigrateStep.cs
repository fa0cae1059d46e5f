using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary>The host migrates a process's pages to fresh physical memory (transparent huge pages, compaction);
/// refused for pinned pages (docs/semantics.md 5.3).</summary>
/// <param name="Process">The process.</param>
/// <param name="Hva">The first page.</param>
/// <param name="Size">Bytes.</param>
/// <param name="To">The new host physical address.</param>
public sealed record MigrateStep(string Process, ulong Hva, ulong Size, ulong To) : ScenarioStep
{
    /// <summary>The <c>migrate</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<MigrateStep>("migrate", ["process", "hva", "size", "to"], Read, (s, w) =>
    {
        w.WriteString("process", s.Process);
        ScenarioJson.Number(w, "hva", s.Hva);
        ScenarioJson.Number(w, "size", s.Size);
        ScenarioJson.Number(w, "to", s.To);
    });


    internal override void Run(ScenarioMachine machine) => machine.Dma.Migrate(Process, Hva, Size, To);

    private static MigrateStep Read(JsonWalker b)
    {
        var step = new MigrateStep(b.String("process"), b.Address("hva"), b.Address("size"), b.Address("to"));
        foreach (var (name, value) in new[] { ("hva", step.Hva), ("size", step.Size), ("to", step.To) })
        {
            if (value % 0x1000 != 0 || (name == "size" && value == 0))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, name), $"expected a{(name == "size" ? " non-zero" : "n")} multiple of 4K, got 0x{value:x}");
            }
        }

        return step;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Process}: MIGRATE hva=0x{Hva:x} size={PageTableText.Size(Size)} to hpa=0x{To:x}");
}
