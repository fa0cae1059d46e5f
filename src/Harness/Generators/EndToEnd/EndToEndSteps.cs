using System.Globalization;
using Verify.Harness.Scenarios;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Generators.EndToEnd;

/// <summary>The scenario form of a VI-01 script: the machine, the vIOMMU with the case's options, then each step as
/// the guest asks it (a memory transaction is its machine operation and a commit). Nothing the model answered is
/// recorded: the VI-01 check is what catches a saved failure again.</summary>
public sealed partial record EndToEndCase
{
    /// <summary>The steps.</summary>
    /// <returns>Layout, vIOMMU, then each step as the guest asks it.</returns>
    public IReadOnlyList<ScenarioStep> ToScenarioSteps()
    {
        var steps = new List<ScenarioStep>
        {
            new LayoutStep(Machine, RamMiB << 20),
            new ViommuStep(GuestIommuOptions.Default with { Kind = Kind, Switch = Switch, Listener = Listener }, Accounting) { Memlock = MemlockRule() },
        };
        foreach (var step in Steps)
        {
            switch (step)
            {
                case EndToEndStep.MemoryTransaction m:
                    steps.Add(new MachineStep(m.Operation));
                    steps.Add(new CommitStep());
                    break;
                case EndToEndStep.Remapping r:
                    steps.Add(new RemappingStep(r.On));
                    break;
                case EndToEndStep.GuestRequestStep { Request.Unmap: true } g:
                    steps.Add(new GuestUnmapStep(g.Domain, g.Request.Iova));
                    break;
                case EndToEndStep.GuestRequestStep g:
                    steps.Add(new GuestMapStep(g.Domain, g.Request.Iova, g.Request.Gpa, g.Request.Writable));
                    break;
                case EndToEndStep.Invalidate i:
                    steps.Add(new GuestInvalidateStep(i.Invalidation));
                    break;
                case EndToEndStep.Mdev { Unpin: true } m:
                    steps.Add(new GuestUnpinStep(m.Device, m.Iova, m.Pages));
                    break;
                case EndToEndStep.Mdev m:
                    steps.Add(new GuestPinStep(m.Device, m.Iova, m.Pages, m.Write));
                    break;
                case EndToEndStep.DeviceStep d:
                    steps.Add(DeviceStepOf(d));
                    break;
            }
        }

        return steps;
    }

    private MemlockRule? MemlockRule() => Memlock switch
    {
        MemlockLimitChoice.Libvirt => new MemlockRule("libvirt", RamMiB << 20, Slots, Viommu: true),
        MemlockLimitChoice.LibvirtLegacy => new MemlockRule("libvirt-legacy", RamMiB << 20, Slots, Viommu: true),
        _ => null,
    };

    private static ScenarioStep DeviceStepOf(EndToEndStep.DeviceStep d) => d.Trigger.Kind switch
    {
        DeviceTriggerKind.Hotplug => new GuestHotplugStep(d.Device),
        DeviceTriggerKind.Unplug => new GuestUnplugStep(d.Device),
        DeviceTriggerKind.SetContextNone => new ContextStep(d.Device, ContextEntry.None),
        DeviceTriggerKind.SetContextPassthrough => new ContextStep(d.Device, ContextEntry.Passthrough),
        DeviceTriggerKind.SetContextDomain => new ContextStep(d.Device, ContextEntry.InDomain(d.Trigger.Domain!.Value)),
        DeviceTriggerKind.SwitchDomain => new ContextStep(d.Device, ContextEntry.InDomain(d.Trigger.NewDomain!.Value))
        {
            Note = string.Create(CultureInfo.InvariantCulture, $"switch from domain {d.Trigger.Domain}"),
        },
        _ => throw new InvalidOperationException($"VI-01 does not generate {d.Trigger.Kind}"),
    };
}
