using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Unplugs a device from behind the vIOMMU; its container is closed.</summary>
/// <param name="Device">The device.</param>
public sealed record GuestUnplugStep(string Device) : GuestIommuStep
{
    /// <summary>The <c>guest-unplug</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestUnplugStep>("guest-unplug", ["device"], b => new GuestUnplugStep(b.String("device")), (s, w) => w.WriteString("device", s.Device));


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig => machine.Guest.Answered(Device, rig.Unplug(Device), "unplugged"));

    /// <inheritdoc/>
    public override string ToString() => $"{Device}: unplug";
}
