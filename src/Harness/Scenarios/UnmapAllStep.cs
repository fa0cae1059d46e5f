using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>A raw UNMAP_DMA with FLAG_ALL on a container.</summary>
/// <param name="Container">The container.</param>
public sealed record UnmapAllStep(string Container) : ScenarioStep
{
    /// <summary>The <c>unmap-all</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<UnmapAllStep>("unmap-all", ["container"], b => new UnmapAllStep(b.String("container")), (s, w) => w.WriteString("container", s.Container));


    internal override void Run(ScenarioMachine machine) =>
        machine.Log.Say($"{Container}: {machine.Dma.Raw(Container, b => b.UnmapAll())}");

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: UNMAP all";
}
