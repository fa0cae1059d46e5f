using System.Collections.Immutable;
using Verify.Harness.Execution;
using Verify.Harness.Generators.EndToEnd;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Implementations;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.Lifecycle;
using Xunit.Abstractions;

namespace Verify.Properties;

public class EndToEndExampleTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> KnownBugs => new()
    {
        { "shadow-sync-skips-replay-walk", "translates to nothing, the oracle says" },
        { "shadow-sync-remaps-identical", "from an invalidation that changed nothing" },
        { "unified-planner-drops-shadow", "translates to nothing, the oracle says" },
    };

    [Theory]
    [MemberData(nameof(KnownBugs))]
    public void EffectiveTranslationMatchesOracle_DeliberatelyBrokenShadowSync_CaughtAsStepList(string name, string expected)
    {
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("VI-01"), PropertyBudget.Default with { StartSeed = 20261121 },
            implementation: Variant(name));

        Assert.False(outcome.Passed);
        output.WriteLine(outcome.Report);
        Assert.Contains(expected, outcome.Report, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\[0\] layout ", outcome.Counterexample!);
        if (name == "unified-planner-drops-shadow")
        {
            // The defect lives only in the unified planner: shrinking must not reach a listener that hides it.
            Assert.Contains(outcome.Scenario!.Steps, s => s is ViommuStep { Options.Listener: RamListenerKind.Unified });
        }
    }

    [Fact]
    public void Run_HotplugIntoPopulatedDomainAfterPamFlip_HoldsAndClassifies()
    {
        EndToEndStep[] steps =
        [
            new EndToEndStep.Remapping(true),
            new EndToEndStep.DeviceStep(0, DeviceTrigger.Of(DeviceTriggerKind.Hotplug)),
            new EndToEndStep.DeviceStep(0, DeviceTrigger.SetContextDomain(1)),
            new EndToEndStep.GuestRequestStep(1, new GuestRequest(false, 0x200, 0x201, 0x4200, true)), // [0x200000, 0x401000) -> gpa 0x4200000
            new EndToEndStep.MemoryTransaction(new LayoutOperation.SetPam(1, PamMode.ReadWrite)),
            new EndToEndStep.DeviceStep(1, DeviceTrigger.Of(DeviceTriggerKind.Hotplug)),
            new EndToEndStep.DeviceStep(1, DeviceTrigger.SetContextDomain(1)),
            new EndToEndStep.Invalidate(GuestInvalidation.Global),
            new EndToEndStep.DeviceStep(0, DeviceTrigger.SwitchDomain(1, 2)),
        ];
        var c = new EndToEndCase("pc", GuestIommuKind.VtD, RemappingSwitch.TwoTransactions, RamListenerKind.QemuToday, AccountingMode.PerMapping, MemlockLimitChoice.Unlimited, [.. steps]);
        Assert.True(c.IsPermitted());
        output.WriteLine(c.ToString());

        var scenario = Scenario.Create(new ScenarioHeader(), c.ToScenarioSteps());
        var report = ScenarioRunner.Run(scenario);

        Assert.True(report.Holds, report.ToText());
        var broken = ScenarioRunner.Run(scenario, new ScenarioRunOptions { Implementation = Variant("shadow-sync-skips-replay-walk") });
        Assert.False(broken.Holds);
        output.WriteLine(broken.ToText());
        // dev1 joining domain 1 (layout, viommu, then the script: the PAM flip is a machine step and a commit).
        var first = broken.Steps.First(s => !s.Holds);
        Assert.Equal(9, first.Index);
        Assert.Equal("dev1: context domain 1", first.Step);
    }

    private static ImplementationUnderTest Variant(string name) => Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == name).Implementation;

    [Fact]
    public void Shrink_Script_CandidatesStayPermittedAndShrinkParameters()
    {
        var c = new EndToEndCase("q35", GuestIommuKind.VirtioIommu, RemappingSwitch.Atomic, RamListenerKind.Coalescing, AccountingMode.Shared, MemlockLimitChoice.Libvirt,
        [
            new EndToEndStep.DeviceStep(0, DeviceTrigger.Of(DeviceTriggerKind.Hotplug)),
            new EndToEndStep.Remapping(true),
            new EndToEndStep.DeviceStep(0, DeviceTrigger.SetContextDomain(3)),
            new EndToEndStep.GuestRequestStep(2, new GuestRequest(false, 0x300, 8, 0x1000, false)),
        ]);

        var candidates = EndToEndGenerators.Shrink(c).ToList();

        Assert.All(candidates, x => Assert.True(x.IsPermitted(), x.ToString()));
        Assert.Contains(candidates, x => x.Steps.Length == 4 && x.Steps[2] is EndToEndStep.DeviceStep { Trigger.Domain: 2 });
        Assert.Contains(candidates, x => x.Steps.Length == 4 && x.Steps[3] is EndToEndStep.GuestRequestStep { Domain: 1 });
        Assert.Contains(candidates, x => x.Switch == RemappingSwitch.TwoTransactions && x.Steps.Length == 4);
    }
}
