namespace Verify.IommuModel.Lifecycle;

/// <summary>A named condition on a (state, trigger) pair; the name goes into the diagram, the description into docs.</summary>
/// <param name="Name">Short label, for example <c>no pins</c>.</param>
/// <param name="Description">What the condition means and why it matters.</param>
/// <param name="Holds">The predicate.</param>
public sealed record TransitionGuard(string Name, string Description, Func<DeviceState, DeviceTrigger, bool> Holds)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>What a transition does to the mdev pins.</summary>
public enum PinEffect
{
    /// <summary>The pins stay as they are (the device's address space does not change).</summary>
    Keep,

    /// <summary>The vendor driver now holds pins.</summary>
    Pin,

    /// <summary>The pins are gone: an unpin, or vfio's DMA-unmap notifier made the vendor driver drop them.</summary>
    Release,
}

/// <summary>
/// One row of <see cref="DeviceLifecycle.Table"/>: from a state kind, on a trigger, when the guard holds, either
/// go to a state kind with QEMU's effect described, or refuse with a reason (<see cref="To"/> is null).
/// </summary>
/// <param name="From">The state kind the row applies to.</param>
/// <param name="Trigger">The trigger kind the row applies to.</param>
/// <param name="Guard">When the row applies; the first row of a pair whose guard holds wins.</param>
/// <param name="To">The next state kind, or null when the row refuses.</param>
/// <param name="Pins">What happens to the mdev pins (ignored by refusals).</param>
/// <param name="Effect">QEMU's effect for a transition, or the refusal's reason.</param>
public sealed record TransitionRow(
    DeviceStateKind From, DeviceTriggerKind Trigger, TransitionGuard Guard, DeviceStateKind? To, PinEffect Pins, string Effect)
{
    /// <summary>Whether the row refuses the trigger.</summary>
    public bool Refuses => To is null;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{From} --{Trigger} [{Guard.Name}]--> {(To is { } to ? $"{to} ({Pins}): {Effect}" : $"refused: {Effect}")}";
}

/// <summary>What <see cref="DeviceLifecycle.Fire"/> did: the row that applied and the state after it.</summary>
/// <param name="Row">The applying row.</param>
/// <param name="State">The next state; the unchanged state when refused.</param>
public sealed record FireResult(TransitionRow Row, DeviceState State)
{
    /// <summary>Whether the trigger was refused.</summary>
    public bool Refused => Row.Refuses;

    /// <summary>The refusal's reason, or null for a transition.</summary>
    public string? Reason => Row.Refuses ? Row.Effect : null;
}
