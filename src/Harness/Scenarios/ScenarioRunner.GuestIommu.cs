using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Running;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;

namespace Verify.Harness.Scenarios;

/// <summary>
/// The guest IOMMU part of the runner: a <c>viommu</c> step builds a <see cref="GuestIommuRig"/> over the scenario's
/// machine, whose system memory then follows the scenario's commits; after every step from then on the runner checks
/// what VI-01 checks (<see cref="GuestIommuRig.CheckStep"/>): every device translates as the
/// <see cref="Oracle.GuestIommu.GuestIommuOracle"/> says down to host memory, every ioctl the listeners issued succeeded,
/// <c>locked_vm</c> is the oracle's charge, and an <c>invalidate</c> step issues no ioctl. An ENOMEM the memlock limit
/// explains ends the guest (QEMU aborts): later guest steps cannot run.
/// </summary>
public sealed partial class ScenarioRunner
{
    private GuestIommuRig? _guest;
    private string? _guestProcess;
    private string? _guestAborted;
    private ImmutableSortedDictionary<string, DeviceSnapshot>? _guestBefore;
    private StepObservation? _guestObserved;
    private GuestRefusal? _guestAnswer;
    private (GuestResult Model, bool Oracle)? _guestRequest;

    private void BeginGuestStep()
    {
        _guestObserved = null;
        _guestAnswer = null;
        _guestRequest = null;
        _guestBefore = _guest is not null && _guestAborted is null ? _guest.Snapshot() : null;
    }

    private string RunGuest(GuestIommuStep step, StepContext context)
    {
        if (step is ViommuStep v)
        {
            return CreateViommu(v);
        }

        var rig = _guest ?? throw new StepException("no vIOMMU yet: add a 'viommu' step after the 'layout' step");
        if (_guestAborted is { } abort)
        {
            // VI-01 ends a run at the ENOMEM; a saved run that goes on is replayed the same way.
            return $"skipped: QEMU aborted {abort}";
        }

        switch (step)
        {
            case GuestHotplugStep s:
                return Answer(s.Device, rig.Hotplug(s.Device), "plugged; its container has " + (rig.Model.Devices.TryGetValue(s.Device, out var d) ? d.Container.Mappings.Count : 0) + " mapping(s)");
            case GuestUnplugStep s:
                return Answer(s.Device, rig.Unplug(s.Device), "unplugged");
            case RemappingStep s:
                rig.SetRemapping(s.On);
                return $"DMA remapping {(s.On ? "on" : "off")}";
            case ContextStep s:
                return Answer(s.Device, rig.SetContext(s.Device, s.Entry), $"context {s.Entry}");
            case GuestMapStep s:
                return Request(rig.Map(s.Domain, s.Iova, s.Gpa, s.Writable));
            case GuestUnmapStep s:
                return Request(rig.Unmap(s.Domain, s.Iova));
            case GuestInvalidateStep s:
                rig.Model.Invalidate(s.Invalidation);
                return $"invalidated {s.Invalidation}";
            case GuestPinStep s:
                return PinCall(s.Device, context, () => rig.Pin(s.Device, s.Iova, s.Npage, s.Write));
            case GuestUnpinStep s:
                return PinCall(s.Device, context, () => rig.Unpin(s.Device, s.Iova, s.Npage));
            default:
                throw new StepException($"'{step.Kind}' is not a guest IOMMU step");
        }
    }

    // vfio_pin_pages / vfio_unpin_pages on the device's own container: the result must be the oracle's; expect.errno
    // and expect.size read it as those of a raw call.
    private string PinCall(string device, StepContext context, Func<(Type1Result Model, Errno Oracle)> call)
    {
        if (!_guest!.Model.Devices.ContainsKey(device))
        {
            throw new StepException($"no device '{device}' is plugged behind the vIOMMU");
        }

        var (result, expected) = call();
        context.Type1Raw = result;
        context.Raw = result.KernelBug ? null : new DmaResult(result.Error, result.Size);
        context.Invariants.Expect(result.Error == expected && !result.KernelBug, () => $"{device}: the call returned {result}, the oracle gives {expected}");
        return $"{device}: {result}";
    }

    private string CreateViommu(ViommuStep step)
    {
        if (_guest is not null)
        {
            throw new StepException("the scenario has a vIOMMU already");
        }

        var layout = _layout ?? throw new StepException("a vIOMMU sits in front of a machine: start with a 'layout' step");
        if (!ReferenceEquals(_tree, layout.Tree))
        {
            throw new StepException("a vIOMMU starts from the machine as its 'layout' step built it: put the 'viommu' step before any machine operation");
        }

        if (_host.Processes.ContainsKey(step.Process))
        {
            throw new StepException($"a process named '{step.Process}' exists already; the vIOMMU's containers run in a process of their own");
        }

        _guest = new GuestIommuRig(layout, step.Options with { Bug = _options.ShadowSyncBug }, step.Accounting, _options.Type1Bug);
        _guest.Host.RlimitMemlock = step.Memlock?.Limit() ?? ulong.MaxValue;
        _guestProcess = step.Process;
        return $"vIOMMU {_guest.Model.Options} in front of {layout.Name}; remapping off, no device";
    }

    // A guest request the model refused is the model's answer, compared with the oracle's; it stops nothing.
    private string Request((GuestResult Model, bool Oracle) answer)
    {
        _guestAnswer = answer.Model.Refusal;
        _guestRequest = answer;
        return answer.Model.Succeeded ? $"accepted; changed {answer.Model.Changed}" : $"refused ({answer.Model.Refusal})";
    }

    private string Answer(string device, GuestRefusal refusal, string done)
    {
        _guestAnswer = refusal;
        return refusal == GuestRefusal.None ? $"{device}: {done}" : $"{device}: refused ({refusal})";
    }

    // A memory transaction of the scenario is one of the vIOMMU's system memory too.
    private void CommitGuestSystem()
    {
        if (_guest is not null && _guestAborted is null && _tree is not null)
        {
            _guest.Model.CommitSystem(_tree);
        }
    }

    private void EndGuestStep(int index, ScenarioStep step, StepContext context)
    {
        if (_guestRequest is { } answer)
        {
            context.Invariants.Expect(answer.Model.Succeeded == answer.Oracle,
                () => $"the vIOMMU says {answer.Model}, the oracle {(answer.Oracle ? "accepts" : "refuses")}");
        }

        if (_guest is not { } rig || _guestAborted is not null)
        {
            return;
        }

        const string where = "VI-01";
        _guestObserved = rig.CheckStep(context.Invariants, where, _guestBefore ?? ImmutableSortedDictionary<string, DeviceSnapshot>.Empty, _guestBefore is not null && step is GuestInvalidateStep);
        foreach (var (device, effect) in _guestObserved.Devices.Where(e => e.Value.Ioctls > 0))
        {
            var calls = rig.Model.Devices[device].Container.Log.Skip(_guestBefore?.GetValueOrDefault(device)?.Calls ?? 0).ToList();
            context.Lines.Add($"{ContainerName(device)}: {effect.Ioctls} ioctl(s), collateral {ScenarioNumbers.Format(effect.Collateral)} bytes");
            context.Lines.AddRange(calls.Select(c => $"  {c}"));
        }

        if (_guestObserved.Enomem)
        {
            _guestAborted = string.Create(CultureInfo.InvariantCulture, $"at step {index + 1} (ENOMEM: the charge passed RLIMIT_MEMLOCK)");
            context.Lines.Add($"QEMU would abort here: {_guestAborted}");
        }
    }

    /// <summary>The container the vIOMMU opened for a device (what <c>ioctls</c> and <c>collateral</c> are keyed by).</summary>
    private static string ContainerName(string device) => $"container-{device}";

    private void CheckGuestExpectations(StepExpectations e, Verdict verdict)
    {
        if (e.Refused is { } refused)
        {
            verdict.Expect(_guestAnswer == refused, () => _guestAnswer is { } a ? $"the vIOMMU answered {a}, expected {refused}" : $"refused {refused} expected, but the step made no guest request");
        }

        foreach (var t in e.Translations.Where(t => t.OfDevice))
        {
            if (_guest is null || !_guest.Model.Devices.ContainsKey(t.Target))
            {
                verdict.Expect(false, () => $"translation of 0x{t.Iova:x}: no device '{t.Target}' is plugged behind a vIOMMU");
                continue;
            }

            string? actual = GuestIommuRig.TranslationAt(_guest.ContainerOf(t.Target).Mappings, t.Iova)?.ToString();
            verdict.Expect(actual == t.To, () => $"{t.Target}: IOVA 0x{t.Iova:x} translates to {actual ?? "nothing"}, expected {t.To ?? "nothing"}");
        }
    }

    // The vIOMMU's containers are measured by the rig; the DMA expectations read them under their container names.
    private void AddGuestEffects(StepContext context)
    {
        foreach (var (device, effect) in _guestObserved?.Devices ?? ImmutableSortedDictionary<string, DeviceEffect>.Empty)
        {
            context.Observed.TryAdd(ContainerName(device), new ContainerEffect(ContainerName(device), effect.Ioctls, effect.Collateral));
        }
    }

    private ulong? GuestLockedVm(string process) => _guest is not null && process == _guestProcess ? _guest.Host.LockedVm : null;
}
