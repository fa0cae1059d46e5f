using Verify.Oracle.Dma;
using Verify.Vfio;

namespace Verify.Harness.Checks.Dma;

/// <summary>DL-07 (docs/semantics.md 3, 5.1): a coalescing container never holds more live mappings than its entry limit; a
/// plan says it exceeds the limit exactly when executing it would, and a plan that does is reported and not applied
/// (the container keeps its mappings and gets no ioctl).</summary>
public sealed class EntryLimitHolds() : ScenarioCheck("DL-07")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (var c in dma.Containers.Values)
        {
            if (c.Listener?.Listener is not Implementations.IPlanningListener || !dma.Step.Converged.Contains(c.Name) || c.TookRawCalls
                || DmaProbes.PlanOf(c) is not { } plan || !dma.Step.Before.TryGetValue(c.Name, out var before))
            {
                continue;
            }

            int limit = c.Backend.Traits.EntryLimit;
            var measured = CollateralOracle.Measure(before.Mappings, plan.Operations, a => null, a => null, c.Backend.Traits with { EntryLimit = int.MaxValue });
            if (plan.IsEmpty && plan.ExceedsEntryLimit)
            {
                // Too many new mappings to list: the claim is checked against the fixed-granule arithmetic.
                context.Expect(c.Listener.Plan.Granularity == MappingGranularity.FixedGranule && plan.PeakLiveMappings > limit,
                    () => $"{c.Name}: an empty plan is refused for the entry limit without a fixed granule to explain it");
            }
            else
            {
                context.Expect(plan.ExceedsEntryLimit == measured.PeakLive > limit,
                    () => $"{c.Name}: the plan peaks at {measured.PeakLive} live mappings (limit {limit}) but reports ExceedsEntryLimit={plan.ExceedsEntryLimit}");
            }

            context.Expect(c.Backend.Mappings.Count <= limit, () => $"{c.Name}: {c.Backend.Mappings.Count} live mappings, limit {limit}");
            if (plan.ExceedsEntryLimit)
            {
                int calls = c.Backend.Calls.Count - before.Calls;
                context.Expect(calls == 0 && c.Backend.Mappings.SequenceEqual(before.Mappings), () => $"{c.Name}: a refused plan was half-applied ({calls} ioctls)");
                context.Label("a plan was refused");
            }
        }
    }
}
