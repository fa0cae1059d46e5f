using FsCheck;
using FsCheck.Fluent;

namespace Verify.Harness.Layouts;

/// <summary>
/// Generators (with shrinkers) of realistic machines and the transactions real guests and hosts cause: firmware
/// flipping PAM segments (merging and splitting RAM), BAR programming (including a 64-bit sizing write that puts
/// a BAR at an address with bit 63 set), ROM devices leaving ROM mode, DIMM hot-add and virtio-mem plugging.
/// </summary>
public static class LayoutGenerators
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    /// <summary>Machines: pc, q35 and arm virt with RAM below and above the PCI hole.</summary>
    public static Gen<MachineLayout> Machines { get; } = Gen.Elements(
        MachineLayout.Pc(512 * MiB),
        MachineLayout.Pc(4 * GiB),
        MachineLayout.Q35(2 * GiB),
        MachineLayout.Q35(16 * GiB),
        MachineLayout.Virt(1 * GiB),
        MachineLayout.Virt(8 * GiB));

    /// <summary>A machine and up to a dozen transactions.</summary>
    public static Arbitrary<LayoutCase> Cases { get; } = Arb.From(
        from layout in Machines
        from ops in Gen.ListOf(Operation(layout)).Resize(12)
        select new LayoutCase(layout, [.. ops]),
        c => c.Shrink());

    /// <summary>One transaction a machine of this layout can see.</summary>
    /// <param name="layout">The machine.</param>
    /// <returns>The generator.</returns>
    public static Gen<LayoutOperation> Operation(MachineLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var bars = layout.Bars.Select(b => b.Region).ToArray();
        var ops = new List<(int, Gen<LayoutOperation>)>
        {
            (2, from b in Gen.Elements(bars) from plugged in Gen.Elements(true, false) select (LayoutOperation)new LayoutOperation.SetBarEnabled(b, plugged)),
            (2, from b in Gen.Elements(bars)
                from address in Gen.Elements(
                    layout.Bars.Select(x => x.Address)
                        .Concat([0xfd00_0000UL, 0xfe10_0000UL, 0x2000_0000UL, 0x80_1000_0000UL, 0xffff_ffff_fe00_0000UL, 0x8000_0000_0000_0000UL])
                        .ToArray())
                select (LayoutOperation)new LayoutOperation.MoveBar(b, address)),
            (1, from s in Gen.Choose(0, layout.DimmSlots - 1) select (LayoutOperation)new LayoutOperation.HotAddDimm(s)),
            (2, from b in Gen.Choose(0, layout.VirtioMemBlocks - 1) from plugged in Gen.Elements(true, false)
                select (LayoutOperation)new LayoutOperation.SetVirtioMemBlock(b, plugged)),
        };
        if (!layout.PamSegments.IsEmpty)
        {
            ops.Add((6, from s in Gen.Choose(0, layout.PamSegments.Length - 1)
                        from m in Gen.Elements(Enum.GetValues<PamMode>())
                        select (LayoutOperation)new LayoutOperation.SetPam(s, m)));
        }

        if (!layout.RomDevices.IsEmpty)
        {
            ops.Add((1, from d in Gen.Elements(layout.RomDevices.ToArray())
                        from plugged in Gen.Elements(true, false)
                        select (LayoutOperation)new LayoutOperation.SetRomMode(d, plugged)));
        }

        return Gen.Frequency(ops);
    }
}
