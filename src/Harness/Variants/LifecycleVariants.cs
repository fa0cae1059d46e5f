using Verify.IommuModel.Lifecycle;
using static Verify.IommuModel.Lifecycle.DeviceStateKind;
using static Verify.IommuModel.Lifecycle.DeviceTriggerKind;

namespace Verify.Harness.Variants;

/// <summary>Broken device life-cycle tables for VI-03: the model's table with one row lost or changed.</summary>
public static class LifecycleVariants
{
    /// <summary>The table loses the row refusing SwitchDomain for a detached device, so that trigger is unhandled
    /// there (a state machine with a gap: QEMU would hit an assertion, the model throws).</summary>
    public static DeviceLifecycle SwitchDomainWhileDetachedUnhandled { get; } =
        new(DeviceLifecycle.Table.Where(r => r is not { From: Detached, Trigger: SwitchDomain }));

    /// <summary>Turning DMA remapping off in passthrough releases the mdev vendor driver's pins, though the nodmar
    /// alias keeps IOVA = GPA mapped and nothing is unmapped (a pin count that drops while the page is in use).</summary>
    public static DeviceLifecycle RemappingOffInPassthroughDropsPins { get; } =
        new(DeviceLifecycle.Table.Select(r => r is { From: Passthrough, Trigger: DmaRemappingOff } ? r with { Pins = PinEffect.Release } : r));
}
