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
using Verify.IommuModel.Type1;
using Xunit.Abstractions;

namespace Verify.Regressions;

/// <summary>The guest IOMMU steps: the reader's strictness, the writer's round trip, and the VI-01 loop (a shrunk
/// failure prints and saves as a scenario that passes on the real model and fails again with the same bug).</summary>
public class GuestIommuScenarioTests(ITestOutputHelper output)
{
    private static string File(string steps) =>
        $$"""{ "format": "verify-scenario", "version": 1, "steps": [ {{steps}} ] }""";

    public static TheoryData<string, string, string> BadSteps => new()
    {
        { """{ "viommu": { "kind": "amd-vi" } }""", "$.steps[0].viommu.kind", "\"virtio-iommu\"" },
        { """{ "viommu": { "kind": "virtio-iommu", "caching-mode": false } }""", "$.steps[0].viommu.caching-mode", "only a vt-d vIOMMU" },
        { """{ "viommu": { "kind": "vt-d", "switch": "instant" } }""", "$.steps[0].viommu.switch", "\"two-transactions\"" },
        { """{ "viommu": { "kind": "vt-d", "listener": "naive" } }""", "$.steps[0].viommu.listener", "\"qemu\"" },
        { """{ "viommu": { "kind": "vt-d", "memlock": { "rule": "systemd" } } }""", "$.steps[0].viommu.memlock.rule", "libvirt" },
        { """{ "viommu": { "kind": "vt-d", "bug": "skip-replay-walk" } }""", "$.steps[0].viommu.bug", "unknown field 'bug'" },
        { """{ "guest-hotplug": { "name": "dev0" } }""", "$.steps[0].guest-hotplug.device", "missing required field" },
        { """{ "remapping": { "on": "yes" } }""", "$.steps[0].remapping.on", "true or false" },
        { """{ "context": { "device": "dev0", "entry": "identity" } }""", "$.steps[0].context.entry", "none, passthrough, domain" },
        { """{ "context": { "device": "dev0", "entry": "passthrough", "domain": 1 } }""", "$.steps[0].context.domain", "only a 'domain' entry" },
        { """{ "context": { "device": "dev0", "entry": "domain" } }""", "$.steps[0].context.domain", "missing required field" },
        { """{ "context": { "device": "dev0", "entry": "domain", "domain": 0 } }""", "$.steps[0].context.domain", "[1, " },
        { """{ "guest-map": { "domain": 1, "iova": "0x1000", "size": "0", "gpa": "0x100000" } }""", "$.steps[0].guest-map.size", "above 0" },
        { """{ "guest-map": { "domain": 1, "iova": "0xfffffffffffff000", "size": "8K", "gpa": "0" } }""", "$.steps[0].guest-map.size", "inside 2^64" },
        { """{ "guest-map": { "domain": 1, "iova": "0x1000", "size": "4K" } }""", "$.steps[0].guest-map.gpa", "missing required field" },
        { """{ "guest-unmap": { "domain": 1, "iova": "0x1000", "size": "4K", "gpa": "0" } }""", "$.steps[0].guest-unmap.gpa", "unknown field 'gpa'" },
        { """{ "invalidate": { "scope": "device" } }""", "$.steps[0].invalidate.scope", "\"pages\"" },
        { """{ "invalidate": { "scope": "global", "domain": 1 } }""", "$.steps[0].invalidate.domain", "names no domain" },
        { """{ "invalidate": { "scope": "domain", "domain": 1, "iova": "0" } }""", "$.steps[0].invalidate.iova", "use scope \"pages\"" },
        { """{ "invalidate": { "scope": "pages", "domain": 1, "iova": "0" } }""", "$.steps[0].invalidate.size", "missing required field" },
        { """{ "guest-pin": { "device": "dev0", "iova": "0x1000", "npage": 1, "prot": "w" } }""", "$.steps[0].guest-pin.prot", "\"rw\"" },
        { """{ "guest-pin": { "device": "dev0", "iova": "0x1000", "npage": 4097 } }""", "$.steps[0].guest-pin.npage", "[0, 4096]" },
        { """{ "guest-unpin": { "device": "dev0", "iova": "0x1000", "npage": 1, "prot": "r" } }""", "$.steps[0].guest-unpin.prot", "unknown field 'prot'" },
        { """{ "remapping": { "on": true }, "expect": { "refused": "busy" } }""", "$.steps[0].expect.refused", "\"no-caching-mode\"" },
        { """{ "remapping": { "on": true }, "expect": { "translations": [ { "device": "d", "container": "c", "iova": "0", "to": null } ] } }""", "$.steps[0].expect.translations[0]", "not several" },
    };

    [Theory]
    [MemberData(nameof(BadSteps))]
    public void Read_BadGuestIommuStep_NamesThePathAndWhatWasExpected(string step, string path, string expected)
    {
        var error = Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Read(File(step)));

        Assert.Equal(path, error.JsonPath);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteThenRead_EveryGuestIommuStep_GivesTheSameScenarioAndRunsClean()
    {
        var c = new EndToEndCase("q35", GuestIommuKind.VtD, RemappingSwitch.Atomic, RamListenerKind.Coalescing, AccountingMode.Shared, MemlockLimitChoice.Libvirt,
        [
            new EndToEndStep.DeviceStep(0, DeviceTrigger.Of(DeviceTriggerKind.Hotplug)),
            new EndToEndStep.Remapping(true),
            new EndToEndStep.DeviceStep(0, DeviceTrigger.SetContextDomain(2)),
            new EndToEndStep.GuestRequestStep(2, new GuestRequest(false, 0x200, 0x200, 0x4200, false)),
            new EndToEndStep.Mdev(0, false, 0x200, 2, false),
            new EndToEndStep.Mdev(0, false, 0x200, 1, true),
            new EndToEndStep.Mdev(0, true, 0x200, 1, false),
            new EndToEndStep.MemoryTransaction(new LayoutOperation.SetPam(1, PamMode.ReadWrite)),
            new EndToEndStep.DeviceStep(1, DeviceTrigger.Of(DeviceTriggerKind.Hotplug)),
            new EndToEndStep.DeviceStep(1, DeviceTrigger.Of(DeviceTriggerKind.SetContextPassthrough)),
            new EndToEndStep.Mdev(1, false, 0x4000, 513, true),
            new EndToEndStep.Invalidate(GuestInvalidation.OfPages(2, new(0x200000, 0x1000))),
            new EndToEndStep.Invalidate(GuestInvalidation.OfDomain(2)),
            new EndToEndStep.DeviceStep(0, DeviceTrigger.SwitchDomain(2, 3)),
            new EndToEndStep.GuestRequestStep(2, new GuestRequest(true, 0x200, 1, 0, true)),
            new EndToEndStep.DeviceStep(1, DeviceTrigger.Of(DeviceTriggerKind.SetContextNone)),
            new EndToEndStep.Remapping(false),
            new EndToEndStep.DeviceStep(1, DeviceTrigger.Of(DeviceTriggerKind.Unplug)),
        ]);
        Assert.True(c.IsPermitted());
        var scenario = Scenario.Create(new ScenarioHeader("every guest step"), c.ToScenarioSteps());
        Assert.Contains(scenario.Steps, s => s is GuestPinStep { Npage: 513 });
        Assert.Contains(scenario.Steps, s => s is GuestUnpinStep);

        string text = ScenarioWriter.Write(scenario);
        output.WriteLine(text);
        var read = ScenarioReader.Read(text);
        var report = ScenarioRunner.Run(read);

        Assert.Equal(scenario, read);
        Assert.Equal(text, ScenarioWriter.Write(read));
        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_GuestStepWithoutViommu_CannotRun()
    {
        var report = ScenarioRunner.Run(ScenarioReader.Read(File("""{ "layout": { "machine": "pc", "ram": "256M" } }, { "guest-hotplug": { "device": "dev0" } }""")));

        Assert.False(report.Holds);
        Assert.Contains("no vIOMMU yet", report.Steps[^1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ExpectationsOfGuestSteps_AreChecked()
    {
        var report = ScenarioRunner.Run(ScenarioReader.Read(File("""
            { "layout": { "machine": "pc", "ram": "256M" } },
            { "viommu": { "kind": "vt-d", "caching-mode": false } },
            { "guest-hotplug": { "device": "dev0" }, "expect": { "refused": "none" } },
            { "guest-map": { "domain": 1, "iova": "0x1000", "size": "4K", "gpa": "0x100000" },
              "expect": { "refused": "misaligned", "translations": [ { "device": "dev0", "iova": "0x1000", "to": "pc.ram@0x100000 rw" } ] } }
            """)));

        var problems = report.Problems().ToList();
        output.WriteLine(string.Join("\n", problems));
        Assert.Contains(problems, p => p.Contains("answered NoCachingMode, expected None", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("answered None, expected Misaligned", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("no device 'dev0' is plugged", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SecondDeviceUnderLegacyLibvirtLimit_EnomemEndsTheGuestAndLaterStepsAreSkipped()
    {
        var report = ScenarioRunner.Run(ScenarioReader.Read(File("""
            { "layout": { "machine": "pc", "ram": "1152M" } },
            { "viommu": { "kind": "vt-d", "memlock": { "rule": "libvirt-legacy", "guest-ram": "1152M" } } },
            { "guest-hotplug": { "device": "dev0" } },
            { "guest-hotplug": { "device": "dev1" } },
            { "remapping": { "on": true } }
            """)));

        output.WriteLine(report.ToText());
        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.Contains("QEMU would abort here", report.Steps[3].Result, StringComparison.Ordinal);
        Assert.StartsWith("skipped: QEMU aborted at step 4", report.Steps[4].Result, StringComparison.Ordinal);
    }

    public static TheoryData<string> PinBugs => new() { "type1-pin-without-reference", "type1-unmap-ignores-external-pins" };

    /// <summary>Type1 bugs reach the vIOMMU's containers: VI-01 catches them too, and the saved case replays red
    /// with the bug and green without.</summary>
    [Theory]
    [MemberData(nameof(PinBugs))]
    public void Replay_ShrunkVi01PinFailureAsScenario_HoldsOnTheRealModelAndFailsWithTheSameType1Bug(string bug)
    {
        var implementation = Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == bug).Implementation;
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("VI-01"), PropertyBudget.Default with { StartSeed = 20261121 }, implementation: implementation);
        Assert.False(outcome.Passed, $"VI-01 with {bug} in the containers should fail");

        var scenario = outcome.Scenario;
        Assert.NotNull(scenario);
        string root = Directory.CreateTempSubdirectory("vi01-").FullName;
        Scenario saved;
        try
        {
            string file = new RegressionStore(root).Save(scenario);
            Assert.EndsWith(Path.Combine("Cases", "GuestIommu", RegressionStore.ShortHash(scenario) + ".json"), file, StringComparison.Ordinal);
            saved = ScenarioReader.ReadFile(file);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        output.WriteLine(ScenarioWriter.Write(saved));
        Assert.Contains(saved.Steps, s => s is GuestPinStep);
        Assert.All(saved.Steps, s => Assert.True(s.Expect.IsEmpty));
        var real = ScenarioRunner.Run(saved);
        var broken = ScenarioRunner.Run(saved, new ScenarioRunOptions { Implementation = implementation });

        Assert.True(real.Holds, string.Join("\n", real.Problems()));
        Assert.False(broken.Holds, $"the replay with {bug} held");
        output.WriteLine(string.Join("\n", broken.Problems()));
    }
}

/// <summary>Seed stories 6 and 7 (tests/Regressions/Cases/SeedStories): what their expectations rest on.</summary>
public class GuestIommuStoryTests(ITestOutputHelper output)
{
    private static Scenario Story(string file) => ScenarioReader.ReadFile(Path.Combine(RegressionStore.Find().CasesFolder, "SeedStories", file));

    [Fact]
    public void Replay_Story06WithoutTheReplayWalk_FailsWhereTheDeviceJoinsTheDomain()
    {
        var story = Story("06-hotplug-into-populated-domain.json");

        var real = ScenarioRunner.Run(story);
        var broken = ScenarioRunner.Run(story, new ScenarioRunOptions { Implementation = Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == "shadow-sync-skips-replay-walk").Implementation });

        Assert.True(real.Holds, string.Join("\n", real.Problems()));
        output.WriteLine(string.Join("\n", broken.Problems()));
        var failing = broken.Steps.Where(s => !s.Holds).Select(s => s.Index).ToList();
        Assert.Equal([7], failing);
        Assert.Contains(broken.Steps[7].BrokenExpectations, e => e.Contains("container-dev1: 28 ioctl(s), expected 30", StringComparison.Ordinal));
        Assert.Contains(broken.Steps[7].BrokenInvariants, e => e.Contains("dev1 iova 0x200000 translates to nothing", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("07-remapping-off-with-assigned-device.json", RemappingSwitch.TwoTransactions, RamListenerKind.QemuToday)]
    [InlineData("07-remapping-off-with-assigned-device-atomic.json", RemappingSwitch.Atomic, RamListenerKind.QemuToday)]
    [InlineData("07-remapping-off-with-assigned-device-coalescing.json", RemappingSwitch.TwoTransactions, RamListenerKind.Coalescing)]
    [InlineData("07-remapping-off-with-assigned-device-atomic-coalescing.json", RemappingSwitch.Atomic, RamListenerKind.Coalescing)]
    public void Read_Story07Variant_IsThe16GiBGuestWithItsSwitchAndListenerAndTheSameWindow(string file, RemappingSwitch style, RamListenerKind listener)
    {
        var story = Story(file);

        var viommu = Assert.Single(story.Steps.OfType<ViommuStep>());
        Assert.Equal((style, listener), (viommu.Options.Switch, viommu.Options.Listener));
        Assert.Equal(16UL << 30, Assert.Single(story.Steps.OfType<LayoutStep>()).Ram);
        var off = Assert.IsType<RemappingStep>(story.Steps[^1]);
        Assert.False(off.On);
        Assert.Equal(11, off.Expect.Ioctls["container-dev0"]);
        Assert.Equal((UInt128)0x3fff00000, off.Expect.Collateral["container-dev0"]);
    }
}
