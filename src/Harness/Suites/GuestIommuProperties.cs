using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Running;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Suites;

/// <summary>VI (docs/properties.md): the guest IOMMU and the device life cycle. VI-01 is the whole stack as a state
/// machine (system memory, QEMU's vfio listener, the vIOMMU with its shadow sync, one type1 container per device
/// address space, host memory) against the composed oracle; VI-02 aims the same check at replay.</summary>
[PropertySuite("GuestIommu")]
public static class GuestIommuProperties
{
    private const string Suite = "GuestIommu";

    /// <summary>VI-01 .. VI-04.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("VI-01", "EveryDeviceTranslatesAsOracleAfterEveryStep", Suite, GuestIommuScenarios.EndToEnd, ["VI-01"])
        {
            CaseLabels = EndToEndLabels,
            RequiredLabels = ["device joins a populated domain", "window>0", "fires SwitchDomain"],
        },
        new("VI-02", "ReplayMakesJoiningContainerMatchDomain", Suite, GuestIommuScenarios.Replays, ["VI-01"])
        {
            CaseLabels = ReplayLabels,
            RequiredLabels = ["joins a pre-populated domain", "domain has a 2 MiB leaf"],
        },
        new("VI-03", "OnlyPermittedTriggersAndEveryPairHandled", Suite, GuestIommuScenarios.Lifecycles, ["VI-03"])
        {
            RequiredLabels = [.. Enum.GetValues<DeviceStateKind>().Select(k => $"visits {k}"), .. Enum.GetValues<DeviceTriggerKind>().Select(k => $"fires {k}")],
        },
        new("VI-04", "PassthroughAccountingIsNTimesRamOrOnce", Suite, GuestIommuScenarios.Accounting, ["VI-04"]) { CaseLabels = AccountingLabels },
    ];

    private static IEnumerable<string> ReplayLabels(Generators.GeneratedScenario g)
    {
        if (g.Source is not ReplayCase c)
        {
            yield break;
        }

        yield return c.Requests.Any(r => !r.Unmap) ? "joins a pre-populated domain" : "joins an empty domain";
        if (c.Earlier > 0) { yield return "earlier devices in the domain"; }
        if (c.Kind == IommuModel.GuestIommu.GuestIommuKind.VirtioIommu) { yield return "virtio-iommu"; }
        if (c.Kind == IommuModel.GuestIommu.GuestIommuKind.VtD && c.Requests.Any(r => r.HasSuperpage)) { yield return "domain has a 2 MiB leaf"; }
        yield return $"route {c.Route}";
    }

    private static IEnumerable<string> EndToEndLabels(Generators.GeneratedScenario g) =>
        g.Source is not Generators.EndToEnd.EndToEndCase c ? [] : c.Steps.Select(step => step switch
        {
            Generators.EndToEnd.EndToEndStep.DeviceStep d => $"fires {d.Trigger.Kind}",
            Generators.EndToEnd.EndToEndStep.Remapping r => $"fires {r.AsTrigger.Kind}",
            Generators.EndToEnd.EndToEndStep.MemoryTransaction => "memory transaction",
            Generators.EndToEnd.EndToEndStep.GuestRequestStep q => q.Request.Unmap ? "guest unmap" : "guest map",
            Generators.EndToEnd.EndToEndStep.Mdev m => $"fires {m.AsTrigger.Kind}",
            _ => "extra invalidation",
        }).Append($"listener {c.Listener}");

    private static IEnumerable<string> AccountingLabels(Generators.GeneratedScenario g)
    {
        if (g.Source is AccountingCase c)
        {
            yield return c.Passthrough ? "passthrough" : "remapping off";
        }
    }
}
