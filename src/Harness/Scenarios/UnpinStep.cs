using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary><c>vfio_unpin_pages</c> by an mdev device: one reference per page dropped.</summary>
/// <param name="Container">The container.</param>
/// <param name="Device">The device.</param>
/// <param name="Iova">First page.</param>
/// <param name="Npage">Pages.</param>
public sealed record UnpinStep(string Container, string Device, ulong Iova, int Npage) : ScenarioStep
{
    /// <summary>The <c>unpin</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<UnpinStep>("unpin", ["container", "device", "iova", "npage"],
        b => new UnpinStep(b.String("container"), b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096)),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            w.WriteString("device", s.Device);
            ScenarioJson.Number(w, "iova", s.Iova);
            w.WriteNumber("npage", s.Npage);
        });


    internal override void Run(ScenarioMachine machine) =>
        machine.Dma.Type1Call(Container, "the unpin", t => t.UnpinPages(Device, Iova, Npage), o => o.Unpin(Device, Iova, Npage));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Container}: UNPIN {Device} iova=0x{Iova:x} npage={Npage}");
}
