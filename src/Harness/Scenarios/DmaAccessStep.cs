using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>The device reads one address through the container's first domain, filling its IOTLB.</summary>
/// <param name="Container">The container.</param>
/// <param name="Iova">The address.</param>
public sealed record DmaAccessStep(string Container, ulong Iova) : ScenarioStep
{
    /// <summary>The <c>dma-access</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<DmaAccessStep>("dma-access", ["container", "iova"],
        b => new DmaAccessStep(b.String("container"), b.Address("iova")),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            ScenarioJson.Number(w, "iova", s.Iova);
        });


    internal override void Run(ScenarioMachine machine) => machine.Dma.Access(Container, Iova);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Container}: DMA iova=0x{Iova:x}");
}
