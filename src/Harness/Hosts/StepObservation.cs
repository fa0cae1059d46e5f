using System.Collections.Immutable;

namespace Verify.Harness.Hosts;

/// <summary>What <see cref="GuestIommuRig.Observe"/> saw of one step.</summary>
/// <param name="Devices">Each device plugged after the step, by name.</param>
/// <param name="Enomem">Whether a container got ENOMEM: QEMU aborts on a failed MAP, so nothing after it runs.</param>
public sealed record StepObservation(ImmutableSortedDictionary<string, DeviceEffect> Devices, bool Enomem);
