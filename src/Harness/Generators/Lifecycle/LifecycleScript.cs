using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Generators.Lifecycle;

/// <summary>A sequence of triggers fired at one device from <see cref="DeviceState.Initial"/>.</summary>
/// <param name="Steps">The triggers, in order.</param>
public sealed record LifecycleScript(ImmutableArray<DeviceTrigger> Steps)
{
    /// <summary>The states the script passes through (the initial one first), or null when a step is refused or hits a gap in the table.</summary>
    /// <param name="lifecycle">The table to run against.</param>
    /// <returns>One state more than there are steps, or null when a step is not permitted.</returns>
    public ImmutableArray<DeviceState>? Trace(DeviceLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        var states = ImmutableArray.CreateBuilder<DeviceState>(Steps.Length + 1);
        states.Add(DeviceState.Initial);
        foreach (var step in Steps)
        {
            FireResult result;
            try
            {
                result = lifecycle.Fire(states[^1], step);
            }
            catch (InvalidOperationException)
            {
                // A gap in a broken table: the script cannot be run, which is all a shrinker needs to know.
                return null;
            }

            if (result.Refused)
            {
                return null;
            }

            states.Add(result.State);
        }

        return states.MoveToImmutable();
    }

    /// <summary>Whether every step is permitted where it is fired (what the shrinker must keep true).</summary>
    /// <param name="lifecycle">The table to run against.</param>
    /// <returns>True when the script runs to its end.</returns>
    public bool IsPermitted(DeviceLifecycle lifecycle) => Trace(lifecycle) is not null;

    /// <summary>A numbered script with the state after each step under <see cref="DeviceLifecycle.Qemu"/>, so a
    /// counterexample reads like a story (a record cannot carry the table it ran against without it joining equality).</summary>
    /// <returns>The script.</returns>
    public override string ToString()
    {
        var text = new StringBuilder($"start: {DeviceState.Initial}");
        var state = DeviceState.Initial;
        for (int i = 0; i < Steps.Length; i++)
        {
            // Printing must not throw on a broken table: the script is what the failure report shows.
            string after;
            try
            {
                var result = DeviceLifecycle.Qemu.Fire(state, Steps[i]);
                state = result.State;
                after = result.Refused ? $"refused: {result.Reason}" : state.ToString();
            }
            catch (InvalidOperationException e)
            {
                after = e.Message;
            }

            text.AppendLine().Append(CultureInfo.InvariantCulture, $"{i + 1,3}. {Steps[i]} -> {after}");
        }

        return text.ToString();
    }
}
