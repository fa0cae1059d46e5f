using Verify.IommuModel.Lifecycle;
using Verify.Oracle.Lifecycle;

namespace Verify.Harness.Checks.GuestIommu;

/// <summary>VI-03 (docs/semantics.md 7): every <c>lifecycle</c> trigger fired is one the table permits in the state it fires
/// from, and in the states before and after it every trigger is handled (no gap, no exception), by a row for that pair
/// whose guard holds, and leads where the oracle's plain decision of docs/semantics.md 7 leads (or is refused exactly when
/// the oracle refuses it).</summary>
public sealed class LifecycleMatchesOracle() : ScenarioCheck("VI-03")
{
    private bool _checkedInitial;

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lifecycle = context.Machine.Lifecycle;
        if (lifecycle.Step is not { } fired)
        {
            return;
        }

        if (!_checkedInitial)
        {
            _checkedInitial = true;
            ExpectEveryTriggerHandled(context, lifecycle.Table, fired.Before, "at the start");
        }

        context.Expect(fired.Permitted, () => $"{fired.Trigger} in {fired.Before} was fired but is not permitted there");
        ExpectEveryTriggerHandled(context, lifecycle.Table, lifecycle.State, $"after {fired.Trigger} in {fired.Before}");
        context.Label($"visits {fired.Before.Kind}");
        context.Label($"visits {lifecycle.State.Kind}");
        context.Label($"fires {fired.Trigger.Kind}");
        context.Label(fired.Before.HasPins && !lifecycle.State.HasPins && fired.Trigger.Kind != DeviceTriggerKind.MdevUnpin, "an unmap dropped mdev pins");
    }

    private static void ExpectEveryTriggerHandled(CheckContext context, DeviceLifecycle table, DeviceState state, string where)
    {
        foreach (var trigger in DeviceLifecycle.AllTriggers)
        {
            FireResult result;
            try
            {
                result = table.Fire(state, trigger);
            }
            catch (InvalidOperationException e)
            {
                context.Expect(false, () => $"{where}: {trigger} is not handled: {e.Message}");
                continue;
            }

            var expected = LifecycleOracle.Next(state, trigger);
            context.Expect(result.Row.From == state.Kind && result.Row.Trigger == trigger.Kind && result.Row.Guard.Holds(state, trigger),
                () => $"{where}: {trigger} applied row {result.Row}, which is not for this pair or whose guard fails");
            bool agrees = expected is { } next ? !result.Refused && result.State == next : result.Refused;
            context.Expect(agrees,
                () => $"{where}: {trigger} gives {(result.Refused ? $"a refusal ({result.Reason})" : result.State)}, the oracle expects {expected?.ToString() ?? "a refusal"}");
        }
    }
}
