using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Lifecycle;
using Verify.Harness.Running;
using Verify.IommuModel.Lifecycle;
using static Verify.IommuModel.Lifecycle.DeviceStateKind;
using static Verify.IommuModel.Lifecycle.DeviceTriggerKind;

namespace Verify.Harness.Suites;

/// <summary>VI-03 (PROPERTIES.md): the device life-cycle table against an independent oracle of SEMANTICS.md 7.</summary>
[PropertySuite("Lifecycle")]
public static class LifecycleProperties
{
    /// <summary>The suite's properties.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("VI-03", "P_VI_03_OnlyPermittedTriggersAndEveryPairHandled", "Lifecycle", () => OnlyPermittedAndEveryPairHandled(DeviceLifecycle.Qemu)),
    ];

    /// <summary>
    /// VI-03 against a given table: along each generated script, the generated trigger is permitted, and at every
    /// state reached every trigger over <see cref="DeviceLifecycle.Domains"/> is handled (no gap, no exception) and
    /// fires to the state the oracle expects, or is refused exactly when the oracle refuses it.
    /// </summary>
    /// <param name="lifecycle">The table; tests pass a broken one to see the property fail.</param>
    /// <returns>The property.</returns>
    public static Property OnlyPermittedAndEveryPairHandled(DeviceLifecycle lifecycle) =>
        Prop.ForAll(LifecycleGenerators.Scripts(lifecycle), script =>
        {
            var verdict = new Verdict();
            var state = DeviceState.Initial;
            var visited = new HashSet<DeviceStateKind> { state.Kind };
            var fired = new HashSet<DeviceTriggerKind>();
            bool pinsDropped = false;
            ExpectEveryTriggerHandled(verdict, lifecycle, state, "at the start");
            for (int i = 0; i < script.Steps.Length; i++)
            {
                var step = script.Steps[i];
                string where = $"step {i + 1} ({step} in {state})";
                if (!verdict.Expect(lifecycle.PermittedTriggers(state).Contains(step), () => $"{where}: generated but not permitted"))
                {
                    break;
                }

                var next = lifecycle.Fire(state, step).State;
                pinsDropped |= state.HasPins && !next.HasPins && step.Kind != MdevUnpin;
                state = next;
                visited.Add(state.Kind);
                fired.Add(step.Kind);
                ExpectEveryTriggerHandled(verdict, lifecycle, state, $"after {where}");
            }

            foreach (var kind in Enum.GetValues<DeviceStateKind>())
            {
                verdict.Classify(visited.Contains(kind), $"visits {kind}");
            }

            foreach (var kind in Enum.GetValues<DeviceTriggerKind>())
            {
                verdict.Classify(fired.Contains(kind), $"fires {kind}");
            }

            return verdict.Classify(pinsDropped, "an unmap dropped mdev pins").ToProperty();
        });

    private static void ExpectEveryTriggerHandled(Verdict verdict, DeviceLifecycle lifecycle, DeviceState state, string where)
    {
        foreach (var trigger in DeviceLifecycle.AllTriggers)
        {
            FireResult result;
            try
            {
                result = lifecycle.Fire(state, trigger);
            }
            catch (InvalidOperationException e)
            {
                verdict.Expect(false, () => $"{where}: {trigger} is not handled: {e.Message}");
                continue;
            }

            var expected = Expected(state, trigger);
            verdict.Expect(result.Row.From == state.Kind && result.Row.Trigger == trigger.Kind && result.Row.Guard.Holds(state, trigger),
                () => $"{where}: {trigger} applied row {result.Row}, which is not for this pair or whose guard fails");
            bool agrees = expected is { } next ? !result.Refused && result.State == next : result.Refused;
            verdict.Expect(agrees,
                () => $"{where}: {trigger} gives {(result.Refused ? $"a refusal ({result.Reason})" : result.State)}, "
                    + $"the oracle expects {expected?.ToString() ?? "a refusal"}");
        }
    }

    /// <summary>The oracle: SEMANTICS.md 7 written as a plain decision, independent of the table's rows and guards;
    /// null is a refusal.</summary>
    private static DeviceState? Expected(DeviceState s, DeviceTrigger t) => (s.Kind, t.Kind) switch
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
