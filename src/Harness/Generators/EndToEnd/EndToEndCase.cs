using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Generators.EndToEnd;

/// <summary>
/// An end-to-end script (VI-01): a machine, the guest IOMMU and host variants, and the steps. Device triggers are
/// legal exactly when <see cref="DeviceLifecycle.PermittedTriggers"/> allows them in the slot's state, the global
/// remapping switch when every slot allows it; <see cref="IsPermitted"/> checks a whole script.
/// </summary>
/// <param name="Machine">pc or q35.</param>
/// <param name="Kind">VT-d or virtio-iommu.</param>
/// <param name="Switch">How address spaces switch.</param>
/// <param name="Listener">The vfio listener for RAM sections.</param>
/// <param name="Accounting">Per-mapping (type1) or shared.</param>
/// <param name="Memlock">The process's memlock limit.</param>
/// <param name="Steps">The steps in order.</param>
public sealed partial record EndToEndCase(
    string Machine, GuestIommuKind Kind, RemappingSwitch Switch, RamListenerKind Listener, AccountingMode Accounting, MemlockLimitChoice Memlock, ImmutableArray<EndToEndStep> Steps)
{
    /// <summary>Device slots.</summary>
    public const int Slots = 2;

    /// <summary>Guest RAM in MiB: big enough that two devices on system memory pass the legacy libvirt limit.</summary>
    public const ulong RamMiB = 1152;

    /// <summary>The device name of a slot.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns>The name.</returns>
    public static string DeviceName(int slot) => string.Create(CultureInfo.InvariantCulture, $"dev{slot}");

    /// <summary>The machine layout.</summary>
    /// <returns>The layout.</returns>
    public MachineLayout Layout() => Machine == "q35" ? MachineLayout.Q35(RamMiB << 20) : MachineLayout.Pc(RamMiB << 20);

    /// <summary>The memlock limit in bytes.</summary>
    /// <returns>RLIMIT_MEMLOCK.</returns>
    public ulong MemlockBytes() => Memlock switch
    {
        MemlockLimitChoice.Libvirt => MemlockLimit.Libvirt(RamMiB << 20, Slots, hasViommu: true),
        MemlockLimitChoice.LibvirtLegacy => MemlockLimit.LibvirtLegacy(RamMiB << 20),
        _ => ulong.MaxValue,
    };

    /// <summary>The slot states before each step and after the last, or null when a step is not permitted.</summary>
    /// <returns>Steps + 1 arrays of slot states.</returns>
    public ImmutableArray<ImmutableArray<DeviceState>>? Trace()
    {
        var states = ImmutableArray.CreateRange(Enumerable.Repeat(DeviceState.Initial, Slots));
        var trace = ImmutableArray.CreateBuilder<ImmutableArray<DeviceState>>(Steps.Length + 1);
        trace.Add(states);
        foreach (var step in Steps)
        {
            if (Next(states, step) is not { } next)
            {
                return null;
            }

            states = next;
            trace.Add(states);
        }

        return trace.MoveToImmutable();
    }

    /// <summary>Whether every step is permitted where it stands.</summary>
    /// <returns>True when the script runs to its end.</returns>
    public bool IsPermitted() => Trace() is not null;

    /// <summary>The slot states after <paramref name="step"/>, or null when the life cycle refuses it.</summary>
    /// <param name="states">The slot states before.</param>
    /// <param name="step">The step.</param>
    /// <returns>The states after.</returns>
    public static ImmutableArray<DeviceState>? Next(ImmutableArray<DeviceState> states, EndToEndStep step)
    {
        switch (step)
        {
            case EndToEndStep.DeviceStep t when t.Slot >= 0 && t.Slot < states.Length:
                var fired = DeviceLifecycle.Qemu.Fire(states[t.Slot], t.Trigger);
                return fired.Refused ? null : states.SetItem(t.Slot, fired.State);
            case EndToEndStep.DeviceStep:
                return null;
            case EndToEndStep.Mdev m when m.Slot >= 0 && m.Slot < states.Length:
                var pinned = DeviceLifecycle.Qemu.Fire(states[m.Slot], m.AsTrigger);
                return pinned.Refused ? null : states.SetItem(m.Slot, pinned.State);
            case EndToEndStep.Mdev:
                return null;
            case EndToEndStep.Remapping r:
                var after = states.Select(s => DeviceLifecycle.Qemu.Fire(s, r.AsTrigger)).ToList();
                return after.Any(f => f.Refused) ? null : [.. after.Select(f => f.State)];
            default:
                return states;
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{Machine} {RamMiB} MiB, {Kind}, switch {Switch}, listener {Listener}, {Accounting} accounting, memlock {Memlock}, slots dev0..dev{Slots - 1}"));
        var trace = Trace();
        for (int i = 0; i < Steps.Length; i++)
        {
            string after = trace is { } t ? $"   [{string.Join(", ", t[i + 1])}]" : "";
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"{i + 1,3}. {Steps[i]}{(Steps[i] is EndToEndStep.DeviceStep or EndToEndStep.Remapping or EndToEndStep.Mdev ? after : "")}");
        }

        return text.ToString();
    }
}
