using FsCheck;
using Verify.Harness.Generators.EndToEnd;
using Verify.Harness.Generators.Lifecycle;
using Verify.Harness.Scenarios;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;

namespace Verify.Harness.Generators.GuestIommu;

/// <summary>The guest-IOMMU properties' generated scenarios.</summary>
public static class GuestIommuScenarios
{
    /// <summary>The end-to-end state machine: memory transactions, hotplug, remapping, contexts, guest requests and
    /// mdev pins on pc and q35 behind a vIOMMU (VI-01).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> EndToEnd() =>
        ScenarioArbitrary.From(EndToEndGenerators.Cases(), c => c.ToScenarioSteps(), c => new CaseSize(c.Steps.Length, "steps"));

    /// <summary>A device joining a domain (hotplug, switch, from passthrough) that earlier devices and the guest have
    /// populated (VI-02).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Replays() =>
        ScenarioArbitrary.From(GuestIommuGenerators.ReplayCases(), ReplaySteps, c => new CaseSize(c.Earlier + c.Requests.Length + c.OtherDomain.Length + 1, "devices and requests"));

    /// <summary>N devices on system memory (remapping off, or passthrough) under per-mapping or shared accounting (VI-04).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Accounting() =>
        ScenarioArbitrary.From(GuestIommuGenerators.AccountingCases(), AccountingSteps, c => new CaseSize(c.Devices, "devices"));

    /// <summary>Scripts of permitted life-cycle triggers (VI-03).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Lifecycles() =>
        ScenarioArbitrary.From(LifecycleGenerators.Scripts(), s => s.Steps.Select(t => new LifecycleStep(t)), s => new CaseSize(s.Steps.Length, "triggers"));

    private static IEnumerable<ScenarioStep> ReplaySteps(ReplayCase c)
    {
        yield return new LayoutStep("pc", GuestIommuGenerators.ReplayRamMiB << 20);
        yield return new ViommuStep(GuestIommuOptions.Default with { Kind = c.Kind, Switch = c.Switch }, AccountingMode.PerMapping);
        yield return new RemappingStep(true);
        foreach (string d in c.EarlierDevices)
        {
            yield return new GuestHotplugStep(d);
            yield return new ContextStep(d, ContextEntry.InDomain(1));
        }

        foreach (var step in c.OtherDomain.Select(r => Request(2, r)).Concat(c.Requests.Select(r => Request(1, r))))
        {
            yield return step;
        }

        yield return new GuestHotplugStep(ReplayCase.Joiner);
        switch (c.Route)
        {
            case JoinRoute.SwitchDomain:
                yield return new ContextStep(ReplayCase.Joiner, ContextEntry.InDomain(2));
                break;
            case JoinRoute.FromPassthrough:
                yield return new ContextStep(ReplayCase.Joiner, ContextEntry.Passthrough);
                break;
        }

        yield return new ContextStep(ReplayCase.Joiner, ContextEntry.InDomain(1)) { Note = $"{ReplayCase.Joiner} joins domain 1 by {c.Route}" };
    }

    private static ScenarioStep Request(int domain, GuestRequest r) =>
        r.Unmap ? new GuestUnmapStep(domain, r.Iova) : new GuestMapStep(domain, r.Iova, r.Gpa, r.Writable);

    private static IEnumerable<ScenarioStep> AccountingSteps(AccountingCase c)
    {
        var layout = c.Layout();
        string ram = layout.Name == "virt" ? "mach-virt.ram" : "pc.ram";
        yield return new LayoutStep(layout.Name, (ulong)layout.Tree[ram].Size);
        yield return new ViommuStep(GuestIommuOptions.Default, c.Accounting);
        yield return new RemappingStep(c.Passthrough);
        for (int i = 0; i < c.Devices; i++)
        {
            string d = EndToEndCase.DeviceName(i);
            yield return new GuestHotplugStep(d);
            if (c.Passthrough)
            {
                yield return new ContextStep(d, ContextEntry.Passthrough);
            }
        }
    }
}
