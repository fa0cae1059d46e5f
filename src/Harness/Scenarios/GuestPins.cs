using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>What the guest pin steps need first.</summary>
internal static class GuestPins
{
    /// <summary>Refuses a pin by a device that is not plugged.</summary>
    /// <param name="rig">The guest.</param>
    /// <param name="device">The device.</param>
    public static void Plugged(GuestIommuRig rig, string device)
    {
        if (!rig.Model.Devices.ContainsKey(device))
        {
            throw new StepException($"no device '{device}' is plugged behind the vIOMMU");
        }
    }
}
