using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.Oracle.Dma;
using Verify.Vfio;

namespace Verify.Harness.Checks.Dma;

/// <summary>DL-03 (docs/semantics.md 3): a transaction that keeps the DMA-visible translation of every page (A + B -> A',
/// any functionally equal re-layout) sends no ioctl at all to a coalescing listener's containers.</summary>
public sealed class EqualRelayoutIsFree() : ScenarioCheck("DL-03")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastTransaction is not { } t)
        {
            return;
        }

        var dma = context.Machine.Dma;
        foreach (var c in dma.Containers.Values.Where(c => c.Listener?.Listener is Implementations.IPlanningListener && !c.TookRawCalls))
        {
            var options = c.Listener!.Options;
            if (!SameTranslation(t.Old, t.New, options))
            {
                continue;
            }

            int calls = dma.Step.Effects.GetValueOrDefault(c.Name)?.Ioctls ?? 0;
            context.Expect(calls == 0, () => $"transaction {t.Number} keeps every translation but {c.Name} got {calls} ioctl(s):\n{t.Old}\n->\n{t.New}");
            context.Label(!t.Old.Equals(t.New), "different ranges, same translation");
            context.Label(t.New.Count < t.Old.Count, "merge A+B -> A'");
            context.Label(t.New.Count > t.Old.Count, "split A -> A'+B");
        }
    }

    /// <summary>Whether two views give every IOVA the same DMA translation: decided at the first byte of every cell
    /// either view's ranges and their host-page roundings cut the space into.</summary>
    /// <param name="a">A view.</param>
    /// <param name="b">Another.</param>
    /// <param name="options">The section rules.</param>
    /// <returns>Whether they agree everywhere.</returns>
    public static bool SameTranslation(FlatView a, FlatView b, DmaOptions options)
    {
        var cuts = CollateralOracle.Boundaries(a, options.HostPageSize).Concat(CollateralOracle.Boundaries(b, options.HostPageSize))
            .Where(x => x < AddressSpace.End).Select(x => (ulong)x).Append(0UL).Distinct();
        return cuts.All(x => DmaVisibilityOracle.Translate(a, options, x) == DmaVisibilityOracle.Translate(b, options, x));
    }
}
