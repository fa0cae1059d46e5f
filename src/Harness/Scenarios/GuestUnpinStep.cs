using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>A device behind the vIOMMU unpins pages (<c>vfio_unpin_pages</c> on its own container).</summary>
/// <param name="Device">The device.</param>
/// <param name="Iova">First page.</param>
/// <param name="Npage">Pages.</param>
public sealed record GuestUnpinStep(string Device, ulong Iova, int Npage) : GuestIommuStep
{
    /// <summary>The <c>guest-unpin</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestUnpinStep>("guest-unpin", ["device", "iova", "npage"],
        b => new GuestUnpinStep(b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096)),
        (s, w) =>
        {
            w.WriteString("device", s.Device);
            ScenarioJson.Number(w, "iova", s.Iova);
            w.WriteNumber("npage", s.Npage);
        });


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig =>
    {
        GuestPins.Plugged(rig, Device);
        machine.Guest.Pinned(Device, rig.Unpin(Device, Iova, Npage));
    });

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Device}: mdev unpin iova 0x{Iova:x} x{Npage}");
}
