using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Plugs a device behind the vIOMMU: its own address space and container, replayed what it reaches.</summary>
/// <param name="Device">The device.</param>
public sealed record GuestHotplugStep(string Device) : GuestIommuStep
{
    /// <summary>The <c>guest-hotplug</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestHotplugStep>("guest-hotplug", ["device"], b => new GuestHotplugStep(b.String("device")), (s, w) => w.WriteString("device", s.Device));


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig =>
        machine.Guest.Answered(Device, rig.Hotplug(Device),
            "plugged; its container has " + (rig.Model.Devices.TryGetValue(Device, out var d) ? d.Container.Mappings.Count : 0) + " mapping(s)"));

    /// <inheritdoc/>
    public override string ToString() => $"{Device}: hotplug";
}
