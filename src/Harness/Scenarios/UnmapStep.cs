using Verify.Harness.Hosts;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>A raw UNMAP_DMA of a range on a container.</summary>
/// <param name="Container">The container.</param>
/// <param name="Iova">The range.</param>
public sealed record UnmapStep(string Container, AddressRange Iova) : ScenarioStep
{
    /// <summary>The <c>unmap</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<UnmapStep>("unmap", ["container", "iova", "size"],
        b => new UnmapStep(b.String("container"), ScenarioJson.ReadRange(b, "iova", "size")),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            ScenarioJson.Number(w, "iova", s.Iova.Start);
            ScenarioJson.Number(w, "size", s.Iova.Size);
        });


    internal override void Run(ScenarioMachine machine) =>
        machine.Log.Say($"{Container}: {machine.Dma.Raw(Container, b => b.Unmap(Iova))}");

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: UNMAP {Iova}";
}
