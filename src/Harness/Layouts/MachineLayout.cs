using System.Collections.Immutable;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Layouts;

/// <summary>
/// A realistic machine memory map built with QEMU's own structure, and the names its operations act on:
/// PAM segments, BARs, ROM devices, DIMM slots and virtio-mem memslots.
/// </summary>
/// <param name="Name">Layout name (<c>pc</c>, <c>q35</c>, <c>virt</c>).</param>
/// <param name="Tree">The tree at start.</param>
/// <param name="PamSegments">Start address of each PAM segment (13 on pc/q35, none on virt).</param>
/// <param name="Bars">The BARs.</param>
/// <param name="RomDevices">ROM devices whose ROM mode can be switched.</param>
/// <param name="DeviceMemory">The hotplug container (<c>device-memory</c>).</param>
/// <param name="DimmSize">Size of each DIMM.</param>
/// <param name="DimmSlots">Number of DIMM slots.</param>
/// <param name="VirtioMemBlocks">Number of virtio-mem memslots.</param>
/// <param name="VirtioMemBlockSize">Size of one memslot.</param>
public sealed record MachineLayout(
    string Name,
    RegionTree Tree,
    ImmutableArray<ulong> PamSegments,
    ImmutableArray<BarSpec> Bars,
    ImmutableArray<string> RomDevices,
    string DeviceMemory,
    ulong DimmSize,
    int DimmSlots,
    int VirtioMemBlocks,
    ulong VirtioMemBlockSize)
{
    /// <summary>Name of a PAM segment's alias for a mode.</summary>
    /// <param name="segment">Segment index.</param>
    /// <param name="mode">Mode.</param>
    /// <returns>The alias name.</returns>
    public string PamAlias(int segment, PamMode mode) => $"pam-{mode.ToString().ToLowerInvariant()}-{PamSegments[segment]:x}";

    /// <summary>Size of a PAM segment: 64 KiB for the one at 0xf0000, 16 KiB for the others.</summary>
    /// <param name="segment">Segment index.</param>
    /// <returns>Its size.</returns>
    public ulong PamSize(int segment) => PamSegments[segment] == 0xf0000 ? 0x1_0000UL : 0x4000UL;

    /// <summary>Region name of DIMM <paramref name="slot"/>.</summary>
    /// <param name="slot">Slot index.</param>
    /// <returns>Its name.</returns>
    public static string Dimm(int slot) => $"dimm{slot}";

    /// <summary>Region name of virtio-mem memslot <paramref name="block"/>.</summary>
    /// <param name="block">Memslot index.</param>
    /// <returns>Its name.</returns>
    public static string VirtioMemSlot(int block) => $"virtio-mem0-memslot{block}";

    /// <summary>The i440fx PC with <paramref name="ramSize"/> of RAM (QEMU's pc machine, pc.bios as a ROM).</summary>
    /// <param name="ramSize">Guest RAM.</param>
    /// <returns>The layout.</returns>
    public static MachineLayout Pc(ulong ramSize) => PcFamily("pc", ramSize, lowMemLimit: 0xe000_0000, flash: false);

    /// <summary>The q35 PC with <paramref name="ramSize"/> of RAM and a pflash ROM device instead of pc.bios.</summary>
    /// <param name="ramSize">Guest RAM.</param>
    /// <returns>The layout.</returns>
    public static MachineLayout Q35(ulong ramSize) => PcFamily("q35", ramSize, lowMemLimit: 0x8000_0000, flash: true);

    private static MachineLayout PcFamily(string name, ulong ramSize, ulong lowMemLimit, bool flash)
    {
        // Below 4 GiB RAM stops at the PCI hole; the rest is shown from 4 GiB up (pc_memory_init).
        ulong below = ramSize >= lowMemLimit ? lowMemLimit : ramSize;
        ulong above = ramSize - below;
        const ulong FourGiB = 0x1_0000_0000;
        var t = RegionTree.Create(MemoryRegion.Container("system", AddressSpace.End))
            .Define(MemoryRegion.Ram("pc.ram", ramSize))
            .Define(MemoryRegion.Container("pci", AddressSpace.End))
            .AddSubregion("system", "pci", 0, -1)
            .Define(MemoryRegion.Alias("ram-below-4g", "pc.ram", 0, below))
            .AddSubregion("system", "ram-below-4g", 0);
        if (above > 0)
        {
            t = t.Define(MemoryRegion.Alias("ram-above-4g", "pc.ram", below, above)).AddSubregion("system", "ram-above-4g", FourGiB);
        }

        t = t.Define(MemoryRegion.Io("vga-lowmem", 0x2_0000)).AddSubregion("pci", "vga-lowmem", 0xa_0000, 1)
            .Define(MemoryRegion.Alias("smram-region", "pci", 0xa_0000, 0x2_0000)).AddSubregion("system", "smram-region", 0xa_0000, 1)
            .Define(MemoryRegion.Rom("pc.rom", 0x2_0000)).AddSubregion("pci", "pc.rom", 0xc_0000, 1);
        var roms = ImmutableArray<string>.Empty;
        if (flash)
        {
            t = t.Define(new MemoryRegion("system.flash0", RegionKind.RomDevice, 0x4_0000)).AddSubregion("system", "system.flash0", FourGiB - 0x4_0000)
                .Define(MemoryRegion.Alias("isa-bios", "system.flash0", 0x2_0000, 0x2_0000) with { ReadOnly = true }).AddSubregion("pci", "isa-bios", 0xe_0000, 1);
            roms = ["system.flash0"];
        }
        else
        {
            t = t.Define(MemoryRegion.Rom("pc.bios", 0x4_0000)).AddSubregion("pci", "pc.bios", FourGiB - 0x4_0000)
                .Define(MemoryRegion.Alias("isa-bios", "pc.bios", 0x2_0000, 0x2_0000) with { ReadOnly = true }).AddSubregion("pci", "isa-bios", 0xe_0000, 1);
        }

        var segments = ImmutableArray.CreateBuilder<ulong>();
        segments.Add(0xf_0000);
        for (ulong s = 0xc_0000; s < 0xf_0000; s += 0x4000)
        {
            segments.Add(s);
        }

        var layout = new MachineLayout(name, t, segments.ToImmutable(), [], roms, "device-memory", 0x4000_0000, 2, 4, 0x800_0000);
        var tree = t;
        for (int i = 0; i < layout.PamSegments.Length; i++)
        {
            ulong start = layout.PamSegments[i], size = layout.PamSize(i);
            tree = tree.Define(MemoryRegion.Alias(layout.PamAlias(i, PamMode.Pci), "pci", start, size) with { Enabled = true })
                .Define(MemoryRegion.Alias(layout.PamAlias(i, PamMode.ReadOnly), "pc.ram", start, size) with { ReadOnly = true, Enabled = false })
                .Define(MemoryRegion.Alias(layout.PamAlias(i, PamMode.WriteOnly), "pc.ram", start, size) with { Enabled = false })
                .Define(MemoryRegion.Alias(layout.PamAlias(i, PamMode.ReadWrite), "pc.ram", start, size) with { Enabled = false });
            foreach (var mode in Enum.GetValues<PamMode>())
            {
                tree = tree.AddSubregion("system", layout.PamAlias(i, mode), start, 1);
            }
        }

        // BARs: an emulated NIC (i/o), std VGA's RAM, a passed-through device's mmap'ed BARs (32- and 64-bit).
        BarSpec[] bars =
        [
            new("e1000-mmio", "pci", 0xfebc_0000),
            new("vga.vram", "pci", 0xfd00_0000),
            new("vfio-0000:01:00.0-bar0", "pci", 0xfe00_0000),
            new("vfio-0000:01:00.0-bar2", "pci", 0x80_0000_0000),
        ];
        tree = tree.Define(MemoryRegion.Io("e1000-mmio", 0x2_0000))
            .Define(MemoryRegion.Ram("vga.vram", 0x100_0000))
            .Define(new MemoryRegion("vfio-0000:01:00.0-bar0", RegionKind.RamDevice, 0x10_0000))
            .Define(new MemoryRegion("vfio-0000:01:00.0-bar2", RegionKind.RamDevice, 0x400_0000));
        foreach (var bar in bars)
        {
            tree = tree.AddSubregion(bar.Container, bar.Region, bar.Address, bar.Priority);
        }

        return WithHotplug(layout with { Tree = tree, Bars = [.. bars] }, AlignUp(FourGiB + above, 0x4000_0000));
    }

    /// <summary>QEMU's arm virt machine: RAM at 1 GiB, two pflash ROM devices at 0, platform MMIO, a PCIe MMIO
    /// window below 1 GiB and a high window at 512 GiB for 64-bit BARs.</summary>
    /// <param name="ramSize">Guest RAM.</param>
    /// <returns>The layout.</returns>
    public static MachineLayout Virt(ulong ramSize)
    {
        const ulong RamBase = 0x4000_0000;
        var tree = RegionTree.Create(MemoryRegion.Container("sysmem", AddressSpace.End))
            .Define(MemoryRegion.Ram("mach-virt.ram", ramSize)).AddSubregion("sysmem", "mach-virt.ram", RamBase)
            .Define(new MemoryRegion("virt.flash0", RegionKind.RomDevice, 0x400_0000)).AddSubregion("sysmem", "virt.flash0", 0)
            .Define(new MemoryRegion("virt.flash1", RegionKind.RomDevice, 0x400_0000)).AddSubregion("sysmem", "virt.flash1", 0x400_0000)
            .Define(MemoryRegion.Io("gic_dist", 0x1_0000)).AddSubregion("sysmem", "gic_dist", 0x800_0000)
            .Define(MemoryRegion.Io("pl011", 0x1000)).AddSubregion("sysmem", "pl011", 0x900_0000)
            .Define(MemoryRegion.Container("pcie-mmio", AddressSpace.End))
            .Define(MemoryRegion.Alias("pcie-mmio-low", "pcie-mmio", 0x1000_0000, 0x2eff_0000)).AddSubregion("sysmem", "pcie-mmio-low", 0x1000_0000)
            .Define(MemoryRegion.Alias("pcie-mmio-high", "pcie-mmio", 0x80_0000_0000, 0x80_0000_0000)).AddSubregion("sysmem", "pcie-mmio-high", 0x80_0000_0000);
        BarSpec[] bars =
        [
            new("virtio-net-mmio", "pcie-mmio", 0x1000_0000),
            new("vfio-0000:01:00.0-bar0", "pcie-mmio", 0x1010_0000),
            new("vfio-0000:01:00.0-bar2", "pcie-mmio", 0x80_0000_0000),
        ];
        tree = tree.Define(MemoryRegion.Io("virtio-net-mmio", 0x4000))
            .Define(new MemoryRegion("vfio-0000:01:00.0-bar0", RegionKind.RamDevice, 0x10_0000))
            .Define(new MemoryRegion("vfio-0000:01:00.0-bar2", RegionKind.RamDevice, 0x400_0000));
        foreach (var bar in bars)
        {
            tree = tree.AddSubregion(bar.Container, bar.Region, bar.Address, bar.Priority);
        }

        var layout = new MachineLayout("virt", tree, [], [.. bars], ["virt.flash0", "virt.flash1"], "device-memory", 0x4000_0000, 2, 4, 0x800_0000);
        return WithHotplug(layout, AlignUp(RamBase + ramSize, 0x4000_0000));
    }

    // The device-memory container after RAM: DIMMs are defined but unplaced; virtio-mem memslots are unmergeable
    // aliases of one RAM region, disabled until a block is plugged (QEMU 8.2's memslot handling).
    private static MachineLayout WithHotplug(MachineLayout layout, ulong at)
    {
        ulong dimmArea = layout.DimmSize * (ulong)layout.DimmSlots;
        ulong virtioMemSize = layout.VirtioMemBlockSize * (ulong)layout.VirtioMemBlocks;
        var tree = layout.Tree
            .Define(MemoryRegion.Container(layout.DeviceMemory, dimmArea + virtioMemSize))
            .AddSubregion(layout.Tree.Root, layout.DeviceMemory, at)
            .Define(MemoryRegion.Ram("virtio-mem0", virtioMemSize));
        for (int i = 0; i < layout.DimmSlots; i++)
        {
            tree = tree.Define(MemoryRegion.Ram(Dimm(i), layout.DimmSize));
        }

        for (int b = 0; b < layout.VirtioMemBlocks; b++)
        {
            ulong offset = (ulong)b * layout.VirtioMemBlockSize;
            tree = tree.Define(MemoryRegion.Alias(VirtioMemSlot(b), "virtio-mem0", offset, layout.VirtioMemBlockSize) with { Enabled = false, Unmergeable = true })
                .AddSubregion(layout.DeviceMemory, VirtioMemSlot(b), dimmArea + offset);
        }

        return layout with { Tree = tree };
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    /// <inheritdoc/>
    public override string ToString() => $"layout {Name} ram={Tree[Name == "virt" ? "mach-virt.ram" : "pc.ram"].Size / (1UL << 20)}M";
}
