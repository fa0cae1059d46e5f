namespace Verify.Harness.Checks.Type1;

/// <summary>T1-07 (docs/semantics.md 5.3): the host never migrates a pinned page, and after every step no domain leaf,
/// IOTLB entry or external pin reaches a page that is unpinned or was migrated away.</summary>
public sealed class NoPinnedPageMigrates() : ScenarioCheck("T1-07")
{
    private bool _pinned;
    private ulong? _hpa;

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        (_pinned, _hpa) = (false, null);
        if (context.Step is Scenarios.MigrateStep m && context.Machine.Dma.Processes.Processes.TryGetValue(m.Process, out var process)
            && process.Resolve(m.Hva, m.Size, out var segments) && segments.Length > 0)
        {
            _hpa = segments[0].Hpa;
            _pinned = segments.Any(s => process.PinCount(s.Hpa) > 0);
        }
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        if (context.Step is Scenarios.MigrateStep)
        {
            bool moved = dma.Step.Raw is { Succeeded: true };
            context.Expect(!(_pinned && moved), () => $"the pinned page at hpa 0x{_hpa:x} migrated");
            context.Label(moved ? "an unpinned page migrates" : _pinned ? "a pinned page stays" : $"MIGRATE -> {dma.Step.Raw?.Error}");
        }

        foreach (var (c, type1) in Type1Probes.Containers(dma))
        {
            Type1Probes.ExpectReachablePinned(context, c, type1);
            context.Label(c.Backend.Process!.RetiredRanges.Count > 0 && type1.Type1Mappings.Count > 0, "mappings live after a migration");
        }
    }
}
