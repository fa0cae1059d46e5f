using Verify.Harness.Implementations;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Hosts;

/// <summary>One device's life cycle (docs/semantics.md 7) run through the transition table under test: each
/// <c>lifecycle</c> step fires one trigger from the state the device is in.</summary>
/// <param name="implementation">The table under test.</param>
public sealed class LifecycleHost(ImplementationUnderTest implementation)
{
    /// <summary>The table the triggers fire through.</summary>
    public DeviceLifecycle Table { get; } = implementation.Lifecycle;

    /// <summary>The device's state.</summary>
    public DeviceState State { get; private set; } = DeviceState.Initial;

    /// <summary>What the current step fired, or null.</summary>
    public LifecycleFiring? Step { get; private set; }

    /// <summary>Forgets the step before.</summary>
    public void BeginStep() => Step = null;

    /// <summary>Fires <paramref name="trigger"/> from the current state.</summary>
    /// <param name="trigger">The trigger.</param>
    /// <returns>What happened.</returns>
    public LifecycleFiring Fire(DeviceTrigger trigger)
    {
        var before = State;
        bool permitted = Table.PermittedTriggers(before).Contains(trigger);
        var result = Table.Fire(before, trigger);
        State = result.State;
        Step = new LifecycleFiring(before, trigger, permitted, result);
        return Step;
    }
}

/// <summary>One trigger fired.</summary>
/// <param name="Before">The state it fired from.</param>
/// <param name="Trigger">The trigger.</param>
/// <param name="Permitted">Whether the table lists it as permitted there.</param>
/// <param name="Result">The table's answer.</param>
public sealed record LifecycleFiring(DeviceState Before, DeviceTrigger Trigger, bool Permitted, FireResult Result);
