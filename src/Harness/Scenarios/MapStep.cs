using Verify.Harness.Hosts;
using Verify.Vfio;

namespace Verify.Harness.Scenarios;

/// <summary>A raw MAP_DMA on a container, of a region's memory at an offset.</summary>
/// <param name="Container">The container.</param>
/// <param name="Mapping">What to map.</param>
public sealed record MapStep(string Container, DmaMapping Mapping) : ScenarioStep
{
    /// <summary>The <c>map</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<MapStep>("map", ["container", "iova", "size", "region", "offset", "writable"], Read, (s, w) =>
    {
        w.WriteString("container", s.Container);
        ScenarioJson.Number(w, "iova", s.Mapping.Iova.Start);
        ScenarioJson.Number(w, "size", s.Mapping.Iova.Size);
        w.WriteString("region", s.Mapping.Region);
        ScenarioJson.Number(w, "offset", s.Mapping.Offset);
        w.WriteBoolean("writable", s.Mapping.Writable);
    });


    internal override void Run(ScenarioMachine machine) =>
        machine.Log.Say($"{Container}: {machine.Dma.Raw(Container, b => b.Map(Mapping))}");

    private static MapStep Read(JsonWalker b)
    {
        string container = b.String("container");
        var iova = ScenarioJson.ReadRange(b, "iova", "size");
        if (iova.IsEmpty)
        {
            // An empty MAP is a legal request (the kernel answers EINVAL), but DmaMapping cannot hold it.
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "size"), "expected a size above 0 (a mapping is never empty)");
        }

        return new MapStep(container, new DmaMapping(iova, b.String("region"), b.OptionalAddress("offset") ?? 0, b.OptionalBool("writable") ?? true));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: MAP {Mapping}";
}
