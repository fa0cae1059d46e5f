namespace Verify.Harness.Checks.Dma;

/// <summary>DL-05 (docs/semantics.md 3): a container hot-plugged into a populated view converges right after its replay (a
/// replay refused for the entry limit maps nothing at all), and every later ioctl it gets stays legal and leaves it
/// translating the view, whatever its history is against the older containers'.</summary>
public sealed class HotplugConverges() : ScenarioCheck("DL-05")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (var c in dma.Containers.Values.Where(c => c.JoinedPopulatedView && c.Listener is not null && !c.TookRawCalls && !c.Diverged))
        {
            string where = "hot-plugged ";
            var plan = DmaProbes.PlanOf(c);
            if (dma.Step.Hotplugged.Contains(c.Name) && plan is { ExceedsEntryLimit: true })
            {
                context.Expect(c.Backend.Mappings.Count == 0, () => $"{c.Name}: a replay refused for the entry limit was half-applied");
                continue;
            }

            if (dma.Step.Before.TryGetValue(c.Name, out var before) && c.Backend.Calls.Count > before.Calls)
            {
                DmaProbes.ExpectLegal(context, dma, c, where);
            }

            if (DmaProbes.Follows(dma, c) && plan is not { ExceedsEntryLimit: true })
            {
                DmaProbes.ExpectTranslates(context, c, context.Machine.MemoryMap.View, c.Listener!.Options, where);
            }

            context.Label("hot-plug into a populated view");
            context.Label(dma.Step.Effects.GetValueOrDefault(c.Name)?.Collateral > 0, "hot-plugged container suffered collateral");
        }
    }
}
