using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;

namespace Verify.Harness.Suites;

/// <summary>
/// VI-02 and VI-04 (PROPERTIES.md): replay makes a joining device's container hold its domain's mappings, and
/// passthrough accounting charges N x RAM per container and 1 x RAM shared. The model is <see cref="Viommu"/> over
/// type1 containers; the oracle is <see cref="Verify.Oracle.GuestIommu.GuestIommuOracle"/> composed with the DMA
/// visibility oracle and host memory (<see cref="GuestIommuRig.Check"/>).
/// </summary>
[PropertySuite("GuestIommu")]
public static class GuestIommuProperties
{
    private const string Suite = "GuestIommu";

    /// <summary>VI-02 and VI-04.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        ReplayMatchesDomain(ShadowSyncBug.None),
        new("VI-04", "P_VI_04_PassthroughAccountingIsNTimesRamOrOnce", Suite,
            () => Prop.ForAll(GuestIommuGenerators.AccountingCases(), PassthroughAccounting)),
    ];

    /// <summary>VI-02 over a vIOMMU carrying <paramref name="bug"/>: with none the catalogued property, with a bug the
    /// demonstration that it is caught.</summary>
    /// <param name="bug">The deliberate defect, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition ReplayMatchesDomain(ShadowSyncBug bug) =>
        new("VI-02", "P_VI_02_ReplayMakesJoiningContainerMatchDomain", Suite,
            () => Prop.ForAll(GuestIommuGenerators.ReplayCases(), c => ReplayMatchesDomain(c, bug)));

    /// <summary>Runs one VI-02 case; the rig is returned so example tests can look further.</summary>
    /// <param name="c">The case.</param>
    /// <param name="bug">The deliberate defect, or none.</param>
    /// <param name="verdict">Where failures go.</param>
    /// <returns>The rig after the join.</returns>
    public static GuestIommuRig RunReplay(ReplayCase c, ShadowSyncBug bug, Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(verdict);
        var rig = new GuestIommuRig(MachineLayout.Pc(GuestIommuGenerators.ReplayRamMiB << 20),
            GuestIommuOptions.Default with { Kind = c.Kind, Switch = c.Switch, Bug = bug });
        rig.SetRemapping(true);
        foreach (var d in c.EarlierDevices)
        {
            rig.Hotplug(d);
            rig.SetContext(d, ContextEntry.InDomain(1));
        }

        Apply(rig, verdict, 2, c.OtherDomain);
        Apply(rig, verdict, 1, c.Requests);
        rig.Check(verdict, "before the join");
        rig.Hotplug(ReplayCase.Joiner);
        switch (c.Route)
        {
            case JoinRoute.SwitchDomain:
                rig.SetContext(ReplayCase.Joiner, ContextEntry.InDomain(2));
                break;
            case JoinRoute.FromPassthrough:
                rig.SetContext(ReplayCase.Joiner, ContextEntry.Passthrough);
                break;
        }

        rig.SetContext(ReplayCase.Joiner, ContextEntry.InDomain(1));
        rig.Check(verdict, $"after {ReplayCase.Joiner} joined domain 1 by {c.Route}");
        return rig;
    }

    private static void Apply(GuestIommuRig rig, Verdict verdict, int domain, IEnumerable<GuestRequest> requests)
    {
        foreach (var r in requests)
        {
            var (model, oracle) = r.Unmap ? rig.Unmap(domain, r.Iova) : rig.Map(domain, r.Iova, r.Gpa, r.Writable);
            verdict.Expect(model.Succeeded == oracle, () => $"domain {domain} {r}: the model says {model}, the oracle {(oracle ? "accepts" : "refuses")}");
        }
    }

    private static Property ReplayMatchesDomain(ReplayCase c, ShadowSyncBug bug)
    {
        var verdict = new Verdict();
        var rig = RunReplay(c, bug, verdict);
        bool populated = rig.Model.Table(1).Count > 0;
        return verdict
            .Classify(populated, "joins a pre-populated domain")
            .Classify(!populated, "joins an empty domain")
            .Classify(rig.Model.Table(1).Leaves.Any(l => l.Iova.Size > 0x1000 && c.Kind == GuestIommuKind.VtD), "domain has a 2 MiB leaf")
            .Classify(c.Earlier > 0, "earlier devices in the domain")
            .Classify(c.Kind == GuestIommuKind.VirtioIommu, "virtio-iommu")
            .Classify(true, $"route {c.Route}")
            .ToProperty();
    }

    private static Property PassthroughAccounting(AccountingCase c)
    {
        var verdict = new Verdict();
        var rig = new GuestIommuRig(c.Layout(), GuestIommuOptions.Default, c.Accounting);
        rig.SetRemapping(c.Passthrough);
        for (int i = 0; i < c.Devices; i++)
        {
            string d = $"dev{i}";
            rig.Hotplug(d);
            if (c.Passthrough)
            {
                rig.SetContext(d, ContextEntry.Passthrough);
            }

            ulong expected = rig.ExpectedCharge(c.Accounting);
            verdict.Expect(rig.Host.LockedVm == expected,
                () => $"with {i + 1} device(s) locked_vm is 0x{rig.Host.LockedVm:x}, expected 0x{expected:x} ({c.Accounting})");
        }

        rig.Check(verdict, "with every device on system memory");
        return verdict
            .Classify(c.Accounting == AccountingMode.PerMapping, "per-mapping accounting")
            .Classify(c.Accounting == AccountingMode.Shared, "shared accounting")
            .Classify(c.Devices > 1, "several devices")
            .Classify(c.Passthrough, "passthrough")
            .ToProperty();
    }
}
