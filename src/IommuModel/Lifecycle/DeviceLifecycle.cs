using System.Collections.Immutable;

namespace Verify.IommuModel.Lifecycle;

/// <summary>
/// The device life cycle of docs/semantics.md 7 as an explicit transition table: every (state kind, trigger kind)
/// pair has rows, each either a transition with QEMU's effect or a refusal with its reason, so nothing is
/// handled by omission. <see cref="PermittedTriggers"/> drives the generators; <see cref="Fire"/> applies a row.
/// </summary>
/// <remarks>Immutable and thread safe. <see cref="Qemu"/> is the table the project checks; other instances
/// (a table with a row removed) exist so tests can show the checks catch a gap.</remarks>
public sealed partial class DeviceLifecycle
{
    private readonly ILookup<(DeviceStateKind, DeviceTriggerKind), TransitionRow> _rows;

    /// <summary>A life cycle over the given rows.</summary>
    /// <param name="rows">The table; within a pair, the first row whose guard holds applies.</param>
    public DeviceLifecycle(IEnumerable<TransitionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Rows = [.. rows];
        _rows = Rows.ToLookup(r => (r.From, r.Trigger));
    }

    /// <summary>The domain ids triggers name; three are enough for a switch to have a third domain to go to.</summary>
    public static ImmutableArray<int> Domains { get; } = [1, 2, 3];

    /// <summary>Every trigger over <see cref="Domains"/>, in a fixed order.</summary>
    public static ImmutableArray<DeviceTrigger> AllTriggers { get; } =
    [
        .. Enum.GetValues<DeviceTriggerKind>().SelectMany(kind => kind switch
        {
            DeviceTriggerKind.SetContextDomain => Domains.Select(DeviceTrigger.SetContextDomain),
            DeviceTriggerKind.SwitchDomain => Domains.SelectMany(d => Domains.Select(e => DeviceTrigger.SwitchDomain(d, e))),
            _ => [DeviceTrigger.Of(kind)],
        }),
    ];

    /// <summary>This life cycle's rows.</summary>
    public ImmutableArray<TransitionRow> Rows { get; }

    /// <summary>The rows for a pair, in table order.</summary>
    /// <param name="from">The state kind.</param>
    /// <param name="trigger">The trigger kind.</param>
    /// <returns>The rows; empty when the pair is unhandled.</returns>
    public IEnumerable<TransitionRow> RowsFor(DeviceStateKind from, DeviceTriggerKind trigger) => _rows[(from, trigger)];

    /// <summary>The (state kind, trigger kind) pairs no row handles; empty for a complete table.</summary>
    /// <returns>The gaps, in enum order.</returns>
    public IReadOnlyList<(DeviceStateKind From, DeviceTriggerKind Trigger)> UnhandledPairs() =>
    [
        .. from s in Enum.GetValues<DeviceStateKind>()
           from t in Enum.GetValues<DeviceTriggerKind>()
           where !_rows.Contains((s, t))
           select (s, t),
    ];

    /// <summary>Fires <paramref name="trigger"/> in <paramref name="state"/>.</summary>
    /// <param name="state">The current state.</param>
    /// <param name="trigger">The trigger.</param>
    /// <returns>The applying row and the next state; a guarded refusal is a result, not an exception.</returns>
    /// <exception cref="InvalidOperationException">No row handles the pair, or none of its guards holds (a gap in the table).</exception>
    public FireResult Fire(DeviceState state, DeviceTrigger trigger)
    {
        var rows = _rows[(state.Kind, trigger.Kind)].ToList();
        if (rows.Count == 0)
        {
            throw new InvalidOperationException($"no row handles trigger {trigger} in state {state}");
        }

        var row = rows.FirstOrDefault(r => r.Guard.Holds(state, trigger))
            ?? throw new InvalidOperationException(
                $"none of the guards [{string.Join(", ", rows.Select(r => r.Guard.Name))}] holds for trigger {trigger} in state {state}");
        return new FireResult(row, row.To is { } to ? Next(state, trigger, row, to) : state);
    }

    /// <summary>The triggers over <see cref="Domains"/> that <paramref name="state"/> does not refuse.</summary>
    /// <param name="state">The current state.</param>
    /// <returns>The permitted triggers, in <see cref="AllTriggers"/> order; never empty for a complete table.</returns>
    /// <exception cref="InvalidOperationException">A trigger hits a gap in the table.</exception>
    public IReadOnlyList<DeviceTrigger> PermittedTriggers(DeviceState state) =>
        [.. AllTriggers.Where(t => !Fire(state, t).Refused)];

    private static DeviceState Next(DeviceState state, DeviceTrigger trigger, TransitionRow row, DeviceStateKind to)
    {
        if (to == DeviceStateKind.Unplugged)
        {
            // Only the global switch changes while the slot is empty; leaving a plugged kind keeps its remapping.
            return DeviceState.Unplugged(trigger.Kind switch
            {
                DeviceTriggerKind.DmaRemappingOn => true,
                DeviceTriggerKind.DmaRemappingOff => false,
                _ => state.RemappingOn,
            });
        }

        bool pins = row.Pins switch
        {
            PinEffect.Pin => true,
            PinEffect.Release => false,
            _ => state.HasPins,
        };
        int? domain = to == DeviceStateKind.AttachedToDomain ? trigger.TargetDomain ?? state.Domain : null;
        return DeviceState.Plugged(to, domain, pins);
    }
}
