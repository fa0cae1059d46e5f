using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>A device behind the vIOMMU pins pages as an mdev would (<c>vfio_pin_pages</c> on its own container).</summary>
/// <param name="Device">The device.</param>
/// <param name="Iova">First page.</param>
/// <param name="Npage">Pages.</param>
/// <param name="Write">Whether it also asks to write (it always reads).</param>
public sealed record GuestPinStep(string Device, ulong Iova, int Npage, bool Write) : GuestIommuStep
{
    /// <summary>The <c>guest-pin</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestPinStep>("guest-pin", ["device", "iova", "npage", "prot"],
        b => new GuestPinStep(b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096), !b.Has("prot") || b.Choice("prot", ScenarioVocabulary.PinProtections)),
        (s, w) =>
        {
            w.WriteString("device", s.Device);
            ScenarioJson.Number(w, "iova", s.Iova);
            w.WriteNumber("npage", s.Npage);
            if (!s.Write) { w.WriteString("prot", "r"); }
        });


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig =>
    {
        GuestPins.Plugged(rig, Device);
        machine.Guest.Pinned(Device, rig.Pin(Device, Iova, Npage, Write));
    });

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Device}: mdev pin iova 0x{Iova:x} x{Npage} {(Write ? "rw" : "r")}");
}
