using Verify.Harness.Core;
using Verify.Oracle.Dma;
using Verify.Vfio;

namespace Verify.Harness.Checks.Dma;

/// <summary>DL-04 (docs/semantics.md 3): a coalescing plan reports what executing it costs (collateral, largest window,
/// peak and final live mappings, as the oracle measures them), a split-capable backend never pays collateral, and under
/// type1 the collateral is the least the container's history forces (brute force, for histories of at most 14
/// mappings).</summary>
public sealed class CollateralIsMinimal() : ScenarioCheck("DL-04")
{
    private const int BruteForceLimit = 14;

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        var t = context.Machine.LastTransaction;
        foreach (var c in dma.Containers.Values)
        {
            if (!DmaProbes.Follows(dma, c) || DmaProbes.PlanOf(c) is not { ExceedsEntryLimit: false } plan
                || dma.Step.Effects.GetValueOrDefault(c.Name) is not { Measured: { } measured } effect)
            {
                continue;
            }

            var before = dma.Step.Before[c.Name].Mappings;
            context.Expect(plan.CollateralBytes == measured.CollateralBytes,
                () => $"{c.Name}: the plan reports {ScenarioNumbers.Format(plan.CollateralBytes)} collateral bytes, the oracle measures {ScenarioNumbers.Format(measured.CollateralBytes)}\n{plan}");
            context.Expect(plan.LargestWindow == measured.LargestWindow,
                () => $"{c.Name}: the plan reports a largest window of {plan.LargestWindow} ioctls, the oracle measures {measured.LargestWindow}\n{plan}");
            context.Expect(plan.PeakLiveMappings == measured.PeakLive && plan.LiveMappingsAfter == c.Backend.Mappings.Count,
                () => $"{c.Name}: the plan reports peak {plan.PeakLiveMappings} / after {plan.LiveMappingsAfter} live mappings, executing it gives {measured.PeakLive} / {c.Backend.Mappings.Count}");
            if (t is null)
            {
                continue;
            }

            // The public per-window account (what verify diff --html draws) adds up to what the oracle measures.
            var windows = DmaPlanMetrics.Windows(before, plan.Operations, DmaMap.Of(t.New, c.Listener!.Options), c.Backend.Traits);
            context.Expect(Union(windows) == measured.CollateralBytes && (windows.IsEmpty ? 0 : windows.Max(w => w.Length(plan.Ioctls))) == measured.LargestWindow,
                () => $"{c.Name}: the plan's windows cover {ScenarioNumbers.Format(Union(windows))} bytes, longest {(windows.IsEmpty ? 0 : windows.Max(w => w.Length(plan.Ioctls)))}; the oracle measures {ScenarioNumbers.Format(measured.CollateralBytes)}, longest {measured.LargestWindow}\n{string.Join("\n", windows)}");

            if (c.Backend.Traits.UnmapMayBisect)
            {
                context.Expect(measured.CollateralBytes == 0,
                    () => $"{c.Name}: a split-capable backend still unmaps {ScenarioNumbers.Format(measured.CollateralBytes)} unchanged bytes\n{plan}");
            }
            else if (before.Count <= BruteForceLimit)
            {
                var view = t.New;
                var options = c.Listener!.Options;
                var minimum = CollateralOracle.MinimumType1Collateral(before, a => DmaVisibilityOracle.Translate(view, options, a), effect.Cuts);
                context.Expect(measured.CollateralBytes == minimum,
                    () => $"{c.Name}: the plan unmaps {ScenarioNumbers.Format(measured.CollateralBytes)} unchanged bytes; the history forces only {ScenarioNumbers.Format(minimum)}\nhistory: {string.Join(", ", before)}\n{plan}");
                context.Label("brute-force minimum checked");
            }

            context.Label(measured.CollateralBytes > 0, "type1 rules forced collateral");
            context.Label(!plan.IsEmpty, "non-empty plan");
        }
    }

    private static UInt128 Union(IEnumerable<CollateralWindow> windows)
    {
        UInt128 total = 0, reached = 0;
        foreach (var w in windows.OrderBy(w => w.Iova.Start))
        {
            UInt128 start = UInt128.Max(w.Iova.Start, reached);
            if (w.Iova.End > start)
            {
                total += w.Iova.End - start;
                reached = UInt128.Max(reached, w.Iova.End);
            }
        }

        return total;
    }
}
