using Verify.Harness.Hosts;

namespace Verify.Harness.Checks.Type1;

/// <summary>T1-02 (docs/semantics.md 5.1-5.4): a direct type1 call or a migration that fails (an errno, not the kernel BUG)
/// changes nothing observable: mappings, pins, charge, external pins, host memory, every domain's leaves.</summary>
public sealed class FailedCallChangesNothing() : ScenarioCheck("T1-02")
{
    private readonly Dictionary<string, Type1Snapshot> _before = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _before.Clear();
        if (context.Step is Scenarios.MapDmaStep or Scenarios.UnmapDmaStep or Scenarios.PinStep or Scenarios.UnpinStep or Scenarios.MdevDeviceStep or Scenarios.MigrateStep)
        {
            foreach (var (c, type1) in Type1Probes.Containers(context.Machine.Dma))
            {
                _before[c.Name] = Type1Snapshot.Of(type1);
            }
        }
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = context.Machine.Dma.Step;
        bool failed = step.Type1Raw is { Succeeded: false, KernelBug: false } || (step.Migrated is not null && step.Raw is { Succeeded: false });
        if (!failed)
        {
            return;
        }

        foreach (var (c, type1) in Type1Probes.Containers(context.Machine.Dma))
        {
            if (_before.TryGetValue(c.Name, out var before))
            {
                string diff = before.DifferenceFrom(Type1Snapshot.Of(type1));
                context.Expect(diff.Length == 0, () => $"{c.Name}: the call failed with {step.Type1Raw?.Error ?? step.Raw!.Value.Error} yet changed: {diff}");
                context.Label($"{context.Step.Kind} {step.Type1Raw?.Error ?? step.Raw!.Value.Error} after {(before.Mappings.Count == 0 ? "nothing" : "mappings")}"
                    + (before.ExternalPins.Count > 0 ? " with external pins" : ""));
            }
        }
    }
}
