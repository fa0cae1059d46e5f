using Verify.Harness.Layouts;
using Verify.IommuModel.Host;

namespace Verify.Harness.Generators.GuestIommu;

/// <summary>A VI-04 case: <see cref="Devices"/> assigned devices on a machine whose guest leaves them on system memory.</summary>
/// <param name="Machine">pc, q35 or virt.</param>
/// <param name="RamMiB">Guest RAM in MiB.</param>
/// <param name="Devices">How many devices.</param>
/// <param name="Passthrough">Remapping on with passthrough context entries (else remapping off).</param>
/// <param name="Accounting">Per-mapping (type1) or shared.</param>
public sealed record AccountingCase(string Machine, ulong RamMiB, int Devices, bool Passthrough, AccountingMode Accounting)
{
    /// <summary>The machine layout.</summary>
    /// <returns>The layout.</returns>
    public MachineLayout Layout()
    {
        ulong ram = RamMiB << 20;
        return Machine switch
        {
            "q35" => MachineLayout.Q35(ram),
            "virt" => MachineLayout.Virt(ram),
            _ => MachineLayout.Pc(ram),
        };
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Machine} {RamMiB} MiB, {Devices} device(s), {(Passthrough ? "remapping on, every context passthrough" : "remapping off")}, {Accounting} accounting";
}
