using Verify.IommuModel.Lifecycle;
using static Verify.IommuModel.Lifecycle.DeviceStateKind;
using static Verify.IommuModel.Lifecycle.DeviceTriggerKind;

namespace Verify.Oracle.Lifecycle;

/// <summary>The device life cycle of docs/semantics.md 7 written as one plain decision, apart from the transition table's
/// rows and guards (VI-03).</summary>
public static class LifecycleOracle
{
    /// <summary>Where <paramref name="t"/> leads from <paramref name="s"/>; null is a refusal.</summary>
    /// <param name="s">The state.</param>
    /// <param name="t">The trigger.</param>
    /// <returns>The next state, or null when the trigger is refused there.</returns>
    public static DeviceState? Next(DeviceState s, DeviceTrigger t) => (s.Kind, t.Kind) switch
    {
        (Unplugged, Hotplug) => DeviceState.Plugged(s.RemappingOn ? Detached : RemappingOff),
        (Unplugged, DmaRemappingOn) => s.RemappingOn ? null : DeviceState.Unplugged(true),
        (Unplugged, DmaRemappingOff) => s.RemappingOn ? DeviceState.Unplugged(false) : null,
        (Unplugged, _) => null,
        (_, Hotplug) => null,
        (_, Unplug) => DeviceState.Unplugged(s.RemappingOn),
        (Detached, MdevPin or MdevUnpin) => null,
        (_, MdevPin) => DeviceState.Plugged(s.Kind, s.Domain, hasPins: true),
        (_, MdevUnpin) => s.HasPins ? DeviceState.Plugged(s.Kind, s.Domain) : null,
        // Every change of address space below unmaps what an mdev pinned, so the pins go.
        (RemappingOff, DmaRemappingOn) => DeviceState.Plugged(Detached),
        (RemappingOff, _) => null,
        (_, DmaRemappingOn) => null,
        (Passthrough, DmaRemappingOff) => DeviceState.Plugged(RemappingOff, hasPins: s.HasPins),
        (_, DmaRemappingOff) => DeviceState.Plugged(RemappingOff),
        (Detached, SetContextNone) or (Passthrough, SetContextPassthrough) or (AttachedToDomain, SetContextDomain) => null,
        (_, SetContextNone) => DeviceState.Plugged(Detached),
        (_, SetContextPassthrough) => DeviceState.Plugged(Passthrough),
        (_, SetContextDomain) => DeviceState.Plugged(AttachedToDomain, t.Domain),
        (AttachedToDomain, SwitchDomain) when t.Domain == s.Domain && t.NewDomain != s.Domain => DeviceState.Plugged(AttachedToDomain, t.NewDomain),
        (_, SwitchDomain) => null,
        _ => throw new InvalidOperationException($"the oracle has no answer for {t} in {s}"),
    };
}
