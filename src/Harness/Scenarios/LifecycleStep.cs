using Verify.Harness.Hosts;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Scenarios;

/// <summary>Fires one trigger of a device's life cycle (docs/semantics.md 7) through the transition table under test.</summary>
/// <param name="Trigger">The trigger.</param>
public sealed record LifecycleStep(DeviceTrigger Trigger) : ScenarioStep
{
    private static readonly IReadOnlyDictionary<string, DeviceTriggerKind> Kinds =
        Enum.GetValues<DeviceTriggerKind>().ToDictionary(Name, k => k, StringComparer.Ordinal);

    /// <summary>The <c>lifecycle</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<LifecycleStep>("lifecycle", ["trigger", "domain", "to"], Read, (s, w) =>
    {
        w.WriteString("trigger", Name(s.Trigger.Kind));
        if (s.Trigger.Domain is { } d) { w.WriteNumber("domain", d); }
        if (s.Trigger.NewDomain is { } to) { w.WriteNumber("to", to); }
    });


    internal override void Run(ScenarioMachine machine)
    {
        var fired = machine.Lifecycle.Fire(Trigger);
        machine.Log.Say(fired.Result.Refused ? $"{fired.Before}: refused ({fired.Result.Reason})" : $"{fired.Before} -> {fired.Result.State}");
    }

    private static LifecycleStep Read(JsonWalker b)
    {
        var kind = b.Choice("trigger", Kinds);
        return kind switch
        {
            DeviceTriggerKind.SetContextDomain => new LifecycleStep(DeviceTrigger.SetContextDomain(b.Int("domain", 1, int.MaxValue))),
            DeviceTriggerKind.SwitchDomain => new LifecycleStep(DeviceTrigger.SwitchDomain(b.Int("domain", 1, int.MaxValue), b.Int("to", 1, int.MaxValue))),
            _ => new LifecycleStep(DeviceTrigger.Of(kind)),
        };
    }

    // Hotplug -> hotplug, SetContextDomain -> set-context-domain: the format's kebab case.
    private static string Name(DeviceTriggerKind kind) =>
        string.Concat(kind.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <inheritdoc/>
    public override string ToString() => $"lifecycle {Trigger}";
}
