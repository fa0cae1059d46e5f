using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Core;
using Verify.Harness.Implementations;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;
using Verify.Vfio;

namespace Verify.Harness.Hosts;

/// <summary>
/// The guest IOMMU of a scenario (docs/semantics.md 7): a <c>viommu</c> step builds a <see cref="GuestIommuRig"/> over the
/// scenario's machine, whose system memory then follows the scenario's commits. After every step the host observes
/// what each device's container received; an ENOMEM ends the guest (QEMU aborts), and later guest steps are skipped.
/// </summary>
/// <param name="implementation">The shadow-sync and type1 variants under test.</param>
/// <param name="log">Where step results are written when a report is wanted.</param>
public sealed class GuestHost(ImplementationUnderTest implementation, StepLog log)
{
    private ImmutableSortedDictionary<string, DeviceSnapshot> _before = ImmutableSortedDictionary<string, DeviceSnapshot>.Empty;

    /// <summary>The rig, or null before a <c>viommu</c> step.</summary>
    public GuestIommuRig? Rig { get; private set; }

    /// <summary>The process the vIOMMU's containers run in.</summary>
    public string? Process { get; private set; }

    /// <summary>Why the guest ended (an ENOMEM at a step), or null while it runs.</summary>
    public string? Aborted { get; private set; }

    /// <summary>Every device as it was before the current step (empty before the vIOMMU exists).</summary>
    public IReadOnlyDictionary<string, DeviceSnapshot> Before => _before;

    /// <summary>Whether the rig existed and ran when the current step began.</summary>
    public bool WasRunning { get; private set; }

    /// <summary>What the current step did to each device, or null when no vIOMMU runs.</summary>
    public StepObservation? Observed { get; private set; }

    /// <summary>The vIOMMU's answer to the step's request (hotplug, context, map, unmap), if it made one.</summary>
    public GuestRefusal? Answer { get; private set; }

    /// <summary>The step's guest map or unmap with the oracle's answer, if it made one.</summary>
    public (GuestResult Model, bool Oracle)? Request { get; private set; }

    /// <summary>The step's vfio pin or unpin with the oracle's errno, if it made one.</summary>
    public (Type1Result Model, Errno Oracle)? Pin { get; private set; }

    /// <summary>Whether the guest runs: a vIOMMU exists and QEMU has not aborted.</summary>
    public bool Running => Rig is not null && Aborted is null;

    /// <summary>Snapshots every device before a step.</summary>
    public void BeginStep()
    {
        Observed = null;
        Answer = null;
        Request = null;
        Pin = null;
        WasRunning = Running;
        _before = Running ? Rig!.Snapshot() : ImmutableSortedDictionary<string, DeviceSnapshot>.Empty;
    }

    /// <summary>Builds the vIOMMU in front of the machine the <c>layout</c> step started.</summary>
    /// <param name="memoryMap">The scenario's memory map.</param>
    /// <param name="processes">The scenario's processes (the vIOMMU's must be new).</param>
    /// <param name="options">The vIOMMU variant.</param>
    /// <param name="accounting">How its containers charge.</param>
    /// <param name="process">The process its containers run in.</param>
    /// <param name="memlock">The process's <c>RLIMIT_MEMLOCK</c>.</param>
    public void Create(MemoryMapHost memoryMap, ProcessTable processes, GuestIommuOptions options, AccountingMode accounting, string process, ulong memlock)
    {
        ArgumentNullException.ThrowIfNull(memoryMap);
        ArgumentNullException.ThrowIfNull(processes);
        ArgumentNullException.ThrowIfNull(options);
        if (Rig is not null)
        {
            throw new StepException("the scenario has a vIOMMU already");
        }

        var layout = memoryMap.Layout ?? throw new StepException("a vIOMMU sits in front of a machine: start with a 'layout' step");
        if (!ReferenceEquals(memoryMap.Tree, layout.Tree))
        {
            throw new StepException("a vIOMMU starts from the machine as its 'layout' step built it: put the 'viommu' step before any machine operation");
        }

        if (processes.Processes.ContainsKey(process))
        {
            throw new StepException($"a process named '{process}' exists already; the vIOMMU's containers run in a process of their own");
        }

        Rig = new GuestIommuRig(layout, options with { Bug = implementation.ShadowSyncBug }, accounting, implementation.Type1Bug);
        Rig.Host.RlimitMemlock = memlock;
        Process = process;
    }

    /// <summary>Runs one guest action, unless the guest has ended.</summary>
    /// <param name="action">The action on the rig.</param>
    /// <returns>Whether it ran.</returns>
    public bool Run(Action<GuestIommuRig> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var rig = Rig ?? throw new StepException("no vIOMMU yet: add a 'viommu' step after the 'layout' step");
        if (Aborted is { } abort)
        {
            // VI-01 ends a run at the ENOMEM; a saved run that goes on is replayed the same way.
            log.Say($"skipped: QEMU aborted {abort}");
            return false;
        }

        action(rig);
        return true;
    }

    /// <summary>Records the vIOMMU's answer to a device request.</summary>
    /// <param name="device">The device.</param>
    /// <param name="refusal">The answer.</param>
    /// <param name="done">What happened when it was accepted.</param>
    public void Answered(string device, GuestRefusal refusal, string done)
    {
        Answer = refusal;
        log.Say(refusal == GuestRefusal.None ? $"{device}: {done}" : $"{device}: refused ({refusal})");
    }

    /// <summary>Records a guest map or unmap with the oracle's answer.</summary>
    /// <param name="answer">Both answers.</param>
    public void Requested((GuestResult Model, bool Oracle) answer)
    {
        Answer = answer.Model.Refusal;
        Request = answer;
        log.Say(answer.Model.Succeeded ? $"accepted; changed {answer.Model.Changed}" : $"refused ({answer.Model.Refusal})");
    }

    /// <summary>Records a vfio pin or unpin with the oracle's errno.</summary>
    /// <param name="device">The device.</param>
    /// <param name="answer">Both answers.</param>
    public void Pinned(string device, (Type1Result Model, Errno Oracle) answer)
    {
        Pin = answer;
        log.Say($"{device}: {answer.Model}");
    }

    /// <summary>A memory transaction of the scenario is one of the vIOMMU's system memory too.</summary>
    /// <param name="tree">The committed tree.</param>
    public void CommitSystem(RegionTree tree)
    {
        if (Running)
        {
            Rig!.Model.CommitSystem(tree);
        }
    }

    /// <summary>Observes what the step did; an ENOMEM ends the guest.</summary>
    /// <param name="index">The step's index.</param>
    public void EndStep(int index)
    {
        if (!WasRunning || !Running)
        {
            return;
        }

        var rig = Rig!;
        Observed = rig.Observe(_before);
        if (log.Describing)
        {
            foreach (var (device, effect) in Observed.Devices.Where(e => e.Value.Ioctls > 0))
            {
                var calls = rig.Model.Devices[device].Container.Log.Skip(_before.GetValueOrDefault(device)?.Calls ?? 0).ToList();
                log.Say($"{ContainerName(device)}: {effect.Ioctls} ioctl(s), collateral {ScenarioNumbers.Format(effect.Collateral)} bytes");
                foreach (var c in calls)
                {
                    log.Say($"  {c}");
                }
            }
        }

        if (Observed.Enomem)
        {
            Aborted = string.Create(CultureInfo.InvariantCulture, $"at step {index + 1} (ENOMEM: the charge passed RLIMIT_MEMLOCK)");
            log.Say($"QEMU would abort here: {Aborted}");
        }
    }

    /// <summary>The container the vIOMMU opened for a device (what <c>ioctls</c> and <c>collateral</c> are keyed by).</summary>
    /// <param name="device">The device.</param>
    /// <returns>Its container's name.</returns>
    public static string ContainerName(string device) => $"container-{device}";

    /// <summary>The vIOMMU process's <c>locked_vm</c>, if <paramref name="process"/> is it.</summary>
    /// <param name="process">A process name.</param>
    /// <returns>The charge or null.</returns>
    public ulong? LockedVm(string process) => Rig is not null && process == Process ? Rig.Host.LockedVm : null;

    /// <summary>Where one device's IOVA leads, or null when no such device is plugged.</summary>
    /// <param name="device">The device.</param>
    /// <param name="iova">The IOVA.</param>
    /// <param name="translation">The translation, or null for nothing.</param>
    /// <returns>Whether the device is plugged.</returns>
    public bool Translate(string device, ulong iova, out DmaTranslation? translation)
    {
        translation = null;
        if (Rig is null || !Rig.Model.Devices.ContainsKey(device))
        {
            return false;
        }

        translation = GuestIommuRig.TranslationAt(Rig.ContainerOf(device).Mappings, iova);
        return true;
    }
}
