namespace Verify.Harness.Checks.GuestIommu;

/// <summary>VI-04 (docs/semantics.md 5.3): while the guest runs, the vIOMMU process's <c>locked_vm</c> is the oracle's charge
/// for what its devices reach: with every device on system memory (remapping off, or passthrough), N devices charge N x
/// the DMA-visible RAM per container and 1 x shared.</summary>
public sealed class PassthroughAccounting() : ScenarioCheck("VI-04")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var guest = context.Machine.Guest;
        if (!guest.WasRunning || guest.Observed is not { Enomem: false } || guest.Rig is not { } rig)
        {
            return;
        }

        ulong expected = rig.ExpectedCharge(rig.Accounting);
        context.Expect(rig.Host.LockedVm == expected,
            () => $"with {rig.Model.Devices.Count} device(s) locked_vm is 0x{rig.Host.LockedVm:x}, the oracle expects 0x{expected:x} ({rig.Accounting})");
        context.Label(rig.Model.Devices.Count > 1, "several devices");
        context.Label($"{rig.Accounting} accounting");
    }
}
