using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.EndToEnd;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Running;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Lifecycle;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Suites;

/// <summary>
/// VI-01 (PROPERTIES.md): the whole stack as a state machine. The system under test is system memory (region tree,
/// render, topology), QEMU's vfio listener, the <see cref="Viommu"/> with its shadow sync, one type1 container per device
/// address space with its IOMMU page table, and host memory; the model is the oracle composition of
/// <see cref="GuestIommuRig.Check"/>. After every step: every device's effective translation equals the oracle at both
/// edges of every cell, every ioctl succeeded (DL-01/02 style; an ENOMEM the memlock limit explains ends the run, as
/// QEMU aborts), the charge equals the oracle's, and an extra invalidation issues no ioctl.
/// </summary>
[PropertySuite("EndToEnd")]
public static class EndToEndProperties
{
    private const string Suite = "EndToEnd";

    /// <summary>VI-01.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } = [EffectiveTranslationMatchesOracle(ShadowSyncBug.None)];

    /// <summary>VI-01 over a vIOMMU carrying <paramref name="bug"/>: with none the catalogued property, with a bug the
    /// demonstration that it is caught.</summary>
    /// <param name="bug">The deliberate defect, or none.</param>
    /// <param name="type1Bug">A deliberate defect of every device's type1 container, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition EffectiveTranslationMatchesOracle(ShadowSyncBug bug, Type1Bug type1Bug = Type1Bug.None) =>
        new("VI-01", "P_VI_01_EveryDeviceTranslatesAsOracleAfterEveryStep", Suite,
            () => Prop.ForAll(EndToEndGenerators.Cases(), c => Run(c, bug, type1Bug).ToProperty()));

    /// <summary>Runs a script step by step, checking after each; stops at the first failing step (or an ENOMEM).</summary>
    /// <param name="c">The script.</param>
    /// <param name="bug">The deliberate defect, or none.</param>
    /// <param name="type1Bug">A deliberate defect of every device's type1 container, or none.</param>
    /// <returns>The verdict with the case's classification.</returns>
    public static Verdict Run(EndToEndCase c, ShadowSyncBug bug, Type1Bug type1Bug = Type1Bug.None)
    {
        ArgumentNullException.ThrowIfNull(c);
        var verdict = new Verdict();
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var rig = new GuestIommuRig(c.Layout(), GuestIommuOptions.Default with { Kind = c.Kind, Switch = c.Switch, Listener = c.Listener, Bug = bug }, c.Accounting, type1Bug);
        rig.Host.RlimitMemlock = c.MemlockBytes();
        for (int i = 0; i < c.Steps.Length; i++)
        {
            var step = c.Steps[i];
            string where = $"after step {i + 1} ({step})";
            var before = rig.Snapshot();
            Apply(rig, step, verdict, labels, where);
            var pinsBefore = rig.Model.Devices.Keys.Sum(d => rig.Oracle.PinsHeld(d).Count);
            var observed = rig.CheckStep(verdict, where, before, step is EndToEndStep.Invalidate);
            if (step is not EndToEndStep.Mdev && rig.Model.Devices.Keys.Sum(d => rig.Oracle.PinsHeld(d).Count) < pinsBefore)
            {
                labels.Add("pins dropped by an unmap (dma_unmap callback)");
            }

            ExpectNoIoctlWithoutChange(rig, c, step, before, verdict, labels, where);
            foreach (var (name, effect) in observed.Devices)
            {
                if (effect.Collateral > 0)
                {
                    labels.Add("window>0");
                }

                if (before.GetValueOrDefault(name) is { } old && step is EndToEndStep.MemoryTransaction)
                {
                    ClassifyDiff(TopologyDiff.Compute(old.View, rig.Model.Devices[name].Topology.Current), labels);
                }
            }

            if (observed.Enomem)
            {
                labels.Add("ENOMEM");
            }

            if (observed.Enomem || !verdict.Holds)
            {
                break;
            }
        }

        if (labels.Contains("window>0"))
        {
            labels.Add($"window>0 with listener {c.Listener}");
        }

        foreach (var step in c.Steps)
        {
            labels.Add(step switch
            {
                EndToEndStep.DeviceStep d => $"fires {d.Trigger.Kind}",
                EndToEndStep.Remapping r => $"fires {r.AsTrigger.Kind}",
                EndToEndStep.MemoryTransaction => "memory transaction",
                EndToEndStep.GuestRequestStep g => g.Request.Unmap ? "guest unmap" : "guest map",
                EndToEndStep.Mdev m => $"fires {m.AsTrigger.Kind}",
                _ => "extra invalidation",
            });
        }

        foreach (string label in labels.Order(StringComparer.Ordinal))
        {
            verdict.Classify(true, label);
        }

        return verdict;
    }

    /// <summary>
    /// The point of planning a device's container as one (<see cref="RamListenerKind.Unified"/>): a step that leaves
    /// what the container translates exactly as it was must not have sent it a single ioctl, whatever happened to the
    /// address space's sections (a remapping switch into an identical domain, a re-layout, a redundant sync). Only
    /// an atomic switch can promise it for the remapping step itself: QEMU's two transactions pass through a state
    /// with nothing mapped.
    /// </summary>
    private static void ExpectNoIoctlWithoutChange(GuestIommuRig rig, EndToEndCase c, EndToEndStep step,
        IReadOnlyDictionary<string, DeviceSnapshot> before, Verdict verdict, HashSet<string> labels, string where)
    {
        if (c.Listener != RamListenerKind.Unified || (step is EndToEndStep.Remapping && c.Switch != RemappingSwitch.Atomic))
        {
            return;
        }

        foreach (var (name, space) in rig.Model.Devices)
        {
            if (before.GetValueOrDefault(name) is not { } old || !DmaMap.RunsOf(old.Mappings).SequenceEqual(DmaMap.RunsOf(space.Container.Mappings)))
            {
                continue;
            }

            // A refused MAP (ENOMEM past the memlock limit) changes nothing and is VI-01's other checks' business.
            var sent = space.Container.Log.Skip(old.Calls).Where(r => r.Result.Succeeded).ToList();
            verdict.Expect(sent.Count == 0, () => $"{where}: {name}'s container translates exactly as before the step, yet the unified planner "
                + $"made {sent.Count} successful ioctl(s): {string.Join("; ", sent)}");
            if (step is EndToEndStep.Remapping)
            {
                labels.Add("remapping switched with no ioctl (unified planner)");
            }
        }
    }

    private static void Apply(GuestIommuRig rig, EndToEndStep step, Verdict verdict, HashSet<string> labels, string where)
    {
        switch (step)
        {
            case EndToEndStep.MemoryTransaction m:
                rig.Transaction(m.Operation);
                break;
            case EndToEndStep.Remapping r:
                rig.SetRemapping(r.On);
                break;
            case EndToEndStep.Invalidate inv:
                rig.Model.Invalidate(inv.Invalidation);
                break;
            case EndToEndStep.GuestRequestStep g:
                var (model, oracle) = g.Request.Unmap ? rig.Unmap(g.Domain, g.Request.Iova) : rig.Map(g.Domain, g.Request.Iova, g.Request.Gpa, g.Request.Writable);
                verdict.Expect(model.Succeeded == oracle, () => $"{where}: the model says {model}, the oracle {(oracle ? "accepts" : "refuses")}");
                if (g.Request.Unmap && model.Succeeded && !model.Changed.IsEmpty && !g.Request.Iova.Contains(model.Changed))
                {
                    labels.Add("guest unmap widened to a whole 2 MiB leaf");
                }

                if (!model.Succeeded)
                {
                    labels.Add($"guest request refused ({model.Refusal})");
                }

                break;
            case EndToEndStep.DeviceStep d:
                ApplyTrigger(rig, d, verdict, labels, where);
                break;
            case EndToEndStep.Mdev m:
                bool held = rig.Oracle.PinsHeld(m.Device).Count > 0;
                var (result, expected) = m.Unpin ? rig.Unpin(m.Device, m.Iova, m.Pages) : rig.Pin(m.Device, m.Iova, m.Pages, m.Write);
                var errno = result.Error;
                verdict.Expect(errno == expected && !result.KernelBug, () => $"{where}: vfio_{(m.Unpin ? "unpin" : "pin")}_pages gives {errno}, the oracle {expected}");
                labels.Add($"mdev {(m.Unpin ? "unpin" : "pin")} {(errno == Errno.None ? "ok" : errno.ToString())}");
                if (m.Unpin && !held)
                {
                    labels.Add("mdev unpin with no page pinned (the kernel's pins went with an unmap)");
                }

                break;
        }
    }

    private static void ApplyTrigger(GuestIommuRig rig, EndToEndStep.DeviceStep d, Verdict verdict, HashSet<string> labels, string where)
    {
        var t = d.Trigger;
        switch (t.Kind)
        {
            case DeviceTriggerKind.Hotplug:
                var refusal = rig.Hotplug(d.Device);
                verdict.Expect(refusal == GuestRefusal.None, () => $"{where}: hotplug refused: {refusal}");
                break;
            case DeviceTriggerKind.Unplug:
                rig.Unplug(d.Device);
                break;
            case DeviceTriggerKind.SetContextNone:
                rig.SetContext(d.Device, ContextEntry.None);
                break;
            case DeviceTriggerKind.SetContextPassthrough:
                rig.SetContext(d.Device, ContextEntry.Passthrough);
                break;
            default:
                int domain = t.TargetDomain!.Value;
                if (rig.Model.Table(domain).Count > 0)
                {
                    labels.Add("device joins a populated domain");
                }

                rig.SetContext(d.Device, ContextEntry.InDomain(domain));
                break;
        }
    }

    // A merge: one added range covering two or more deleted ones (del A, del B, add A'); a split the other way round.
    private static void ClassifyDiff(IReadOnlyList<TopologyEvent> events, HashSet<string> labels)
    {
        var deleted = events.Where(e => e.Kind == TopologyEventKind.Delete).Select(e => e.Range.Range).ToList();
        var added = events.Where(e => e.Kind == TopologyEventKind.Add).Select(e => e.Range.Range).ToList();
        if (added.Any(a => deleted.Count(d => a.Contains(d)) >= 2))
        {
            labels.Add("merge");
        }

        if (deleted.Any(d => added.Count(a => d.Contains(a)) >= 2))
        {
            labels.Add("split");
        }
    }
}
