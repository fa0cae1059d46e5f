using Verify.IommuModel.GuestIommu;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Harness.Checks.GuestIommu;

/// <summary>
/// VI-01 (docs/semantics.md 7, 2.4, 5.3): after every step of a running guest, every device's effective translation (the
/// guest IOMMU if on, then the view, then host memory) and its IOMMU domain's page walk equal the oracle at both edges
/// of every cell; every ioctl succeeded (an ENOMEM the memlock limit explains ends the guest, as QEMU aborts);
/// external pins and <c>locked_vm</c> are the oracle's; a redundant invalidation issues no ioctl; every guest request
/// and vfio pin is answered as the oracle answers it; and under the unified planner a step that leaves a container's
/// translation as it was sends it no ioctl.
/// </summary>
public sealed class EffectiveTranslationMatchesOracle() : ScenarioCheck("VI-01")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var guest = context.Machine.Guest;
        if (guest.Request is { } answer)
        {
            context.Expect(answer.Model.Succeeded == answer.Oracle, () => $"the vIOMMU says {answer.Model}, the oracle {(answer.Oracle ? "accepts" : "refuses")}");
            context.Label(answer.Model.Succeeded && context.Step is Scenarios.GuestUnmapStep u && !answer.Model.Changed.IsEmpty && !u.Iova.Contains(answer.Model.Changed),
                "guest unmap widened to a whole 2 MiB leaf");
            context.Label(!answer.Model.Succeeded ? $"guest request refused ({answer.Model.Refusal})" : "");
        }

        if (guest.Pin is { } pin)
        {
            context.Expect(pin.Model.Error == pin.Oracle && !pin.Model.KernelBug, () => $"the vfio pin call returned {pin.Model}, the oracle gives {pin.Oracle}");
            context.Label($"mdev {(context.Step is Scenarios.GuestUnpinStep ? "unpin" : "pin")} {(pin.Model.Succeeded ? "ok" : pin.Model.Error.ToString())}");
        }

        if (!guest.WasRunning || guest.Observed is not { } observed)
        {
            return;
        }

        var rig = guest.Rig!;
        var verdict = new Core.Verdict();
        rig.CheckStep(verdict, "VI-01", guest.Before, observed, guest.Before.Count > 0 && context.Step is Scenarios.GuestInvalidateStep);
        foreach (string failure in verdict.Failures)
        {
            context.Expect(false, () => failure);
        }

        ExpectNoIoctlWithoutChange(context, rig, guest.Before);
        if (context.Step is Scenarios.GuestInvalidateStep)
        {
            ExpectSyncUnmapsOnlyWhatChanged(context, rig, guest.Before);
        }

        foreach (var (name, effect) in observed.Devices)
        {
            context.Label(effect.Collateral > 0, "window>0");
            context.Label(effect.Collateral > 0, $"window>0 with listener {rig.Model.Options.Listener}");
            if (guest.Before.GetValueOrDefault(name) is { } old && context.Step is Scenarios.CommitStep)
            {
                var events = TopologyDiff.Compute(old.View, rig.Model.Devices[name].Topology.Current);
                var deleted = events.Where(e => e.Kind == TopologyEventKind.Delete).Select(e => e.Range.Range).ToList();
                var added = events.Where(e => e.Kind == TopologyEventKind.Add).Select(e => e.Range.Range).ToList();
                context.Label(added.Any(a => deleted.Count(d => a.Contains(d)) >= 2), "merge");
                context.Label(deleted.Any(d => added.Count(a => d.Contains(a)) >= 2), "split");
            }
        }

        context.Label(observed.Enomem, "ENOMEM");
        context.Label(context.Step is Scenarios.ContextStep { Entry.Kind: ContextKind.Domain } c && rig.Model.Table(c.Entry.Domain).Count > 0,
            "device joins a populated domain");
    }

    // Shadow sync (docs/semantics.md 7): identical leaves are skipped, so an invalidation never unmaps a mapping the container
    // holds again, unchanged, once the sync is done.
    private static void ExpectSyncUnmapsOnlyWhatChanged(CheckContext context, Hosts.GuestIommuRig rig, IReadOnlyDictionary<string, Hosts.DeviceSnapshot> before)
    {
        foreach (var (name, space) in rig.Model.Devices)
        {
            if (before.GetValueOrDefault(name) is not { } old)
            {
                continue;
            }

            var after = space.Container.Mappings.ToHashSet();
            foreach (var call in space.Container.Log.Skip(old.Calls).Where(r => r.Result.Succeeded))
            {
                var unmapped = call.Operation switch
                {
                    DmaOperation.Unmap u => old.Mappings.Where(m => u.Iova.Contains(m.Iova)),
                    DmaOperation.UnmapAll => old.Mappings,
                    _ => [],
                };
                foreach (var m in unmapped.Where(after.Contains))
                {
                    context.Expect(false, () => $"{name}: the sync unmapped {m} and mapped it back unchanged ({call})");
                }
            }
        }
    }

    // The point of planning a device's container as one (RamListenerKind.Unified): a step that leaves what the
    // container translates exactly as it was must not have sent it a single successful ioctl. Only an atomic switch
    // can promise it for the remapping step itself: QEMU's two transactions pass through a state with nothing mapped.
    private static void ExpectNoIoctlWithoutChange(CheckContext context, Hosts.GuestIommuRig rig, IReadOnlyDictionary<string, Hosts.DeviceSnapshot> before)
    {
        var options = rig.Model.Options;
        if (options.Listener != RamListenerKind.Unified || (context.Step is Scenarios.RemappingStep && options.Switch != RemappingSwitch.Atomic))
        {
            return;
        }

        foreach (var (name, space) in rig.Model.Devices)
        {
            if (before.GetValueOrDefault(name) is not { } old || !DmaMap.RunsOf(old.Mappings).SequenceEqual(DmaMap.RunsOf(space.Container.Mappings)))
            {
                continue;
            }

            var sent = space.Container.Log.Skip(old.Calls).Where(r => r.Result.Succeeded).ToList();
            context.Expect(sent.Count == 0, () => $"{name}'s container translates exactly as before the step, yet the unified planner "
                + $"made {sent.Count} successful ioctl(s): {string.Join("; ", sent)}");
            context.Label(context.Step is Scenarios.RemappingStep, "remapping switched with no ioctl (unified planner)");
        }
    }
}
