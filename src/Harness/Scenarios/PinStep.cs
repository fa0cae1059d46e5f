using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary><c>vfio_pin_pages</c> by an mdev device (docs/semantics.md 5.4).</summary>
/// <param name="Container">The container.</param>
/// <param name="Device">The pinning device.</param>
/// <param name="Iova">First page.</param>
/// <param name="Npage">Pages (0 and more than 512 are refused by the kernel).</param>
/// <param name="Prot">Rights asked.</param>
public sealed record PinStep(string Container, string Device, ulong Iova, int Npage, Protection Prot) : ScenarioStep
{
    /// <summary>The <c>pin</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PinStep>("pin", ["container", "device", "iova", "npage", "prot"],
        b => new PinStep(b.String("container"), b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096),
            b.Has("prot") ? b.Choice("prot", ScenarioVocabulary.Protections) : Protection.ReadWrite),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            w.WriteString("device", s.Device);
            ScenarioJson.Number(w, "iova", s.Iova);
            w.WriteNumber("npage", s.Npage);
            if (s.Prot != Protection.ReadWrite) { w.WriteString("prot", ScenarioVocabulary.NameOf(ScenarioVocabulary.Protections, s.Prot)); }
        });


    internal override void Run(ScenarioMachine machine) =>
        machine.Dma.Type1Call(Container, "the pin", t => t.PinPages(Device, Iova, Npage, Type1Flags.Of(Prot)), o => o.Pin(Device, Iova, Npage, Type1Flags.Of(Prot)));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Container}: PIN {Device} iova=0x{Iova:x} npage={Npage} {ScenarioVocabulary.NameOf(ScenarioVocabulary.Protections, Prot)}");
}
