using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Lifecycle;
using Verify.Harness.Running;
using Verify.IommuModel.Lifecycle;
using Xunit.Abstractions;
using static Verify.IommuModel.Lifecycle.DeviceStateKind;
using static Verify.IommuModel.Lifecycle.DeviceTriggerKind;

namespace Verify.Properties;

public class LifecycleTests(ITestOutputHelper output)
{
    private static readonly DeviceLifecycle Qemu = DeviceLifecycle.Qemu;

    private static string GoldenPath => Path.Combine(RepositoryPaths.Root, "docs", "device-lifecycle.md");

    [Fact]
    public void UnhandledPairs_QemuTable_EveryStateAndTriggerPairHasARow()
    {
        Assert.Empty(Qemu.UnhandledPairs());
        foreach (var state in Enum.GetValues<DeviceStateKind>())
        {
            foreach (var trigger in Enum.GetValues<DeviceTriggerKind>())
            {
                Assert.True(Qemu.RowsFor(state, trigger).Any(), $"({state}, {trigger}) has no row");
            }
        }
    }

    [Fact]
    public void Table_BreadthFirstFromUnplugged_ReachesEveryStateKindPairAndRow()
    {
        // Over concrete states (domains, pins, remapping), every trigger over the domain universe.
        var seen = new HashSet<DeviceState> { DeviceState.Initial };
        var queue = new Queue<DeviceState>([DeviceState.Initial]);
        var pairs = new HashSet<(DeviceStateKind, DeviceTriggerKind)>();
        var rows = new HashSet<TransitionRow>(ReferenceEqualityComparer.Instance);
        while (queue.TryDequeue(out var state))
        {
            foreach (var trigger in DeviceLifecycle.AllTriggers)
            {
                var result = Qemu.Fire(state, trigger);
                pairs.Add((state.Kind, trigger.Kind));
                rows.Add(result.Row);
                if (seen.Add(result.State))
                {
                    queue.Enqueue(result.State);
                }
            }
        }

        Assert.Equal(Enum.GetValues<DeviceStateKind>().Order(), seen.Select(s => s.Kind).Distinct().Order());
        Assert.Equal(Enum.GetValues<DeviceStateKind>().Length * Enum.GetValues<DeviceTriggerKind>().Length, pairs.Count);
        Assert.All(DeviceLifecycle.Table, row => Assert.True(rows.Contains(row), $"row never applies: {row}"));
        Assert.All(seen, state => Assert.NotEmpty(Qemu.PermittedTriggers(state)));
    }

    [Fact]
    public void Fire_HotplugIntoDomainThatAlreadyHasMappings_ReplaysTheDomain()
    {
        var on = Fire(DeviceState.Initial, DeviceTrigger.Of(DmaRemappingOn));
        var plugged = Fire(on.State, DeviceTrigger.Of(Hotplug));
        var attached = Fire(plugged.State, DeviceTrigger.SetContextDomain(2));

        Assert.Equal(DeviceState.Unplugged(remappingOn: true), on.State);
        Assert.Equal(DeviceState.Plugged(Detached), plugged.State);
        Assert.Equal(DeviceState.Plugged(AttachedToDomain, 2), attached.State);
        Assert.Contains("replay maps the domain's existing mappings", attached.Row.Effect, StringComparison.Ordinal);
    }

    [Fact]
    public void Fire_DmaRemappingOffWithAnAssignedDevice_TwoTransactionsAndPinsDropped()
    {
        var state = Run(Hotplug, DmaRemappingOn);
        state = Fire(state, DeviceTrigger.SetContextDomain(1)).State;
        state = Fire(state, DeviceTrigger.Of(MdevPin)).State;
        Assert.Equal(DeviceState.Plugged(AttachedToDomain, 1, hasPins: true), state);

        var off = Fire(state, DeviceTrigger.Of(DmaRemappingOff));

        Assert.Equal(DeviceState.Plugged(RemappingOff), off.State);
        Assert.StartsWith("two transactions: IOMMU region off", off.Row.Effect, StringComparison.Ordinal);
    }

    [Fact]
    public void Fire_DmaRemappingOffInPassthrough_KeepsPinsBecauseTheAliasStays()
    {
        var state = Fire(Run(Hotplug, DmaRemappingOn, SetContextPassthrough, MdevPin), DeviceTrigger.Of(DmaRemappingOff)).State;

        Assert.Equal(DeviceState.Plugged(RemappingOff, hasPins: true), state);
    }

    [Fact]
    public void Fire_SwitchToTheSameDomain_IsRefusedWithAReason()
    {
        var attached = Fire(Run(Hotplug, DmaRemappingOn), DeviceTrigger.SetContextDomain(3)).State;

        var result = Qemu.Fire(attached, DeviceTrigger.SwitchDomain(3, 3));

        Assert.True(result.Refused);
        Assert.Equal(attached, result.State);
        Assert.Equal("a domain switch needs a different domain", result.Reason);
        Assert.DoesNotContain(DeviceTrigger.SwitchDomain(3, 3), Qemu.PermittedTriggers(attached));
        Assert.Contains(DeviceTrigger.SwitchDomain(3, 1), Qemu.PermittedTriggers(attached));
    }

    [Fact]
    public void Fire_PairWithoutRows_ThrowsInvalidOperationNamingStateAndTrigger()
    {
        var empty = new DeviceLifecycle([]);

        var e = Assert.Throws<InvalidOperationException>(() => empty.Fire(DeviceState.Initial, DeviceTrigger.Of(Unplug)));

        Assert.Contains("Unplug", e.Message, StringComparison.Ordinal);
        Assert.Contains("Unplugged (remapping off)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plugged_UnpluggedKindOrDomainMismatch_ThrowsArgumentOutOfRange()
    {
        Assert.Equal("kind", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceState.Plugged(Unplugged)).ParamName);
        Assert.Equal("domain", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceState.Plugged(AttachedToDomain)).ParamName);
        Assert.Equal("domain", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceState.Plugged(Passthrough, 1)).ParamName);
        Assert.Equal("kind", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceTrigger.Of(SwitchDomain)).ParamName);
    }

    [Fact]
    public void DeviceStateAndTrigger_Default_AreValidReadonlyValues()
    {
        Assert.Equal(DeviceState.Unplugged(remappingOn: false), default);
        Assert.Equal(DeviceTrigger.Of(Hotplug), default);
        Assert.True(typeof(DeviceState).IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute), false));
        Assert.True(typeof(DeviceTrigger).IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute), false));
    }

    [Fact]
    public void TableWithOneRowRemoved_PairCheckAndVi03_BothFail()
    {
        // Remove the only row of (Detached, SetContextDomain): the pair check and VI-03 must both notice.
        var row = DeviceLifecycle.Table.Single(r => r is { From: Detached, Trigger: SetContextDomain });
        var broken = new DeviceLifecycle(DeviceLifecycle.Table.Remove(row));

        Assert.Equal([(Detached, SetContextDomain)], broken.UnhandledPairs());
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("VI-03"), PropertyBudget.Default with { StartSeed = 20261121UL },
            implementation: Verify.Harness.Implementations.ImplementationUnderTest.Model with { Lifecycle = broken });
        Assert.False(outcome.Passed);
        output.WriteLine(outcome.Report);
        Assert.Contains("SetContextDomain(1) is not handled", outcome.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Scripts_SampledAndShrunk_StayPermitted()
    {
        var scripts = LifecycleGenerators.Scripts().Generator.Sample(50, new Rnd(7UL), 60);

        Assert.All(scripts, s => Assert.True(s.IsPermitted(Qemu), s.ToString()));
        Assert.All(scripts.Take(10).SelectMany(s => LifecycleGenerators.Shrink(Qemu, s)), s => Assert.True(s.IsPermitted(Qemu), s.ToString()));
        Assert.Contains("  1. Hotplug -> RemappingOff", new LifecycleScript([DeviceTrigger.Of(Hotplug)]).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Document_RegeneratedFromTable_MatchesCommittedFile()
    {
        string expected = MermaidDiagram.Document(DeviceLifecycle.Table);
        if (Environment.GetEnvironmentVariable("VERIFY_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(GoldenPath, expected);
        }

        Assert.Equal(File.ReadAllText(GoldenPath).ReplaceLineEndings("\n"), expected);
        Assert.Contains(MermaidDiagram.FromTable(DeviceLifecycle.Table), expected, StringComparison.Ordinal);
    }

    private static FireResult Fire(DeviceState state, DeviceTrigger trigger)
    {
        var result = Qemu.Fire(state, trigger);
        Assert.False(result.Refused, $"{trigger} in {state} refused: {result.Reason}");
        return result;
    }

    private static DeviceState Run(params DeviceTriggerKind[] triggers) =>
        triggers.Aggregate(DeviceState.Initial, (state, kind) => Fire(state, DeviceTrigger.Of(kind)).State);
}
