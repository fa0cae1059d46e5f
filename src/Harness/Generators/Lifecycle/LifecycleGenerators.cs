using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Generators.Lifecycle;

/// <summary>
/// Trigger scripts for one device, drawn step by step from <see cref="DeviceLifecycle.PermittedTriggers"/> of the
/// state reached so far, so a generated script is permitted by construction (VI-03).
/// </summary>
public static class LifecycleGenerators
{
    /// <summary>Scripts of up to 40 steps against <see cref="DeviceLifecycle.Qemu"/>.</summary>
    /// <returns>The arbitrary, with a shrinker that keeps scripts permitted.</returns>
    public static Arbitrary<LifecycleScript> Scripts() => Scripts(DeviceLifecycle.Qemu);

    /// <summary>Scripts against a given table.</summary>
    /// <param name="lifecycle">The table the walk follows.</param>
    /// <returns>The arbitrary, with a shrinker that keeps scripts permitted.</returns>
    public static Arbitrary<LifecycleScript> Scripts(DeviceLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        var gen = Gen.Sized(size =>
            from count in Gen.Choose(1, Math.Clamp(size, 4, 40))
            from steps in Walk(lifecycle, DeviceState.Initial, count, [])
            select new LifecycleScript(steps));
        return Arb.From(gen, script => Shrink(lifecycle, script));
    }

    private static Gen<ImmutableArray<DeviceTrigger>> Walk(DeviceLifecycle lifecycle, DeviceState state, int left, ImmutableArray<DeviceTrigger> sofar)
    {
        if (left == 0)
        {
            return Gen.Constant(sofar);
        }

        IReadOnlyList<DeviceTrigger> permitted;
        try
        {
            permitted = lifecycle.PermittedTriggers(state);
        }
        catch (InvalidOperationException)
        {
            // A gap is the table's fault: end the script here so VI-03 reports it against this state.
            return Gen.Constant(sofar);
        }

        if (permitted.Count == 0)
        {
            // A dead end is the table's fault too; VI-03 reports it.
            return Gen.Constant(sofar);
        }

        // Pick a trigger kind first, then its parameters: otherwise the nine SwitchDomain pairs would crowd out the rest.
        return Gen.Elements(permitted.GroupBy(t => t.Kind).Select(g => g.ToArray()).ToArray())
            .SelectMany(Gen.Elements)
            .SelectMany(t => Walk(lifecycle, lifecycle.Fire(state, t).State, left - 1, sofar.Add(t)));
    }

    /// <summary>Shorter scripts that are still permitted: prefixes first (always permitted), then one or two steps
    /// dropped (kept only when the rest still runs), then domain ids lowered.</summary>
    /// <param name="lifecycle">The table the scripts must stay permitted in.</param>
    /// <param name="script">A failing script.</param>
    /// <returns>Candidates, most aggressive first.</returns>
    public static IEnumerable<LifecycleScript> Shrink(DeviceLifecycle lifecycle, LifecycleScript script)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        ArgumentNullException.ThrowIfNull(script);
        var steps = script.Steps;
        int n = steps.Length;
        var candidates = new List<ImmutableArray<DeviceTrigger>>();
        if (n > 1)
        {
            candidates.Add(steps[..(n / 2)]);
            candidates.Add(steps[..(n - 1)]);
        }

        for (int i = n - 1; i >= 0; i--)
        {
            candidates.Add(steps.RemoveAt(i));
            if (i + 1 < n)
            {
                // A pair such as MdevPin, MdevUnpin only goes away together.
                candidates.Add(steps.RemoveRange(i, 2));
            }
        }

        for (int i = 0; i < n; i++)
        {
            if (steps[i].TargetDomain is > 1)
            {
                candidates.Add(steps.SetItem(i, Lower(steps[i])));
            }
        }

        return candidates.Select(c => new LifecycleScript(c)).Where(c => c.IsPermitted(lifecycle));
    }

    private static DeviceTrigger Lower(DeviceTrigger trigger) => trigger.Kind == DeviceTriggerKind.SwitchDomain
        ? DeviceTrigger.SwitchDomain(trigger.Domain!.Value, trigger.NewDomain!.Value - 1)
        : DeviceTrigger.SetContextDomain(trigger.Domain!.Value - 1);
}
