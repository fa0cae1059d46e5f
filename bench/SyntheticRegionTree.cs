using Verify.MemoryMap;
using Verify.MemoryMap.Regions;

namespace Verify.Bench;

/// <summary>
/// A deterministic region tree shaped like a PC with a very large PCI hierarchy: RAM reached through
/// aliases, PAM-style read-only aliases over low RAM, and PCI buses of devices whose registers, BARs and
/// windows overlap at several priorities above a low-priority background that fills what they leave.
/// </summary>
internal static class SyntheticRegionTree
{
    private const ulong Page = 0x1000;
    private const ulong Gib = 1UL << 30;
    private const ulong DeviceSize = 0x10_0000; // [0x0, 0x100000) inside a device container
    private const ulong DeviceStride = 0x20_0000; // a 1 MiB hole after every device
    private const ulong PciWindow = 0x100_0000_0000; // devices start at 1 TiB
    private const int DevicesPerBus = 32;
    private const int LeavesPerDevice = 50;

    /// <summary>A tree whose placed non-container regions (terminal regions and aliases) number exactly
    /// <paramref name="leafCount"/>.</summary>
    public static RegionTree Build(int leafCount, Random random)
    {
        var tree = RegionTree.Create(MemoryRegion.Container("system", AddressSpace.End));
        int leaves = 0;

        // Guest RAM, shown through the two aliases a PC uses around the 32-bit PCI hole.
        tree = tree.Define(MemoryRegion.Ram("pc.ram", 64 * Gib))
            .Define(MemoryRegion.Alias("ram-below-4g", "pc.ram", 0, 3 * Gib))
            .AddSubregion("system", "ram-below-4g", 0)
            .Define(MemoryRegion.Alias("ram-above-4g", "pc.ram", 3 * Gib, 61 * Gib))
            .AddSubregion("system", "ram-above-4g", 4 * Gib);
        leaves += 2;

        // PAM segments: read-only aliases of low RAM at priority 1, cutting the RAM alias into pieces.
        for (int i = 0; i < 13; i++)
        {
            ulong at = 0xc_0000 + ((ulong)i * 0x4000);
            string name = $"pam-{at:x}";
            tree = tree.Define(MemoryRegion.Alias(name, "pc.ram", at, 0x4000) with { ReadOnly = i % 3 != 0 })
                .AddSubregion("system", name, at, priority: 1);
        }

        tree = tree.Define(MemoryRegion.Rom("pc.bios", 0x2_0000)).AddSubregion("system", "pc.bios", 0xfffe_0000, priority: 1)
            .Define(MemoryRegion.Ram("vram", 256UL << 20))
            .Define(MemoryRegion.Container("pci", AddressSpace.End))
            .AddSubregion("system", "pci", 0, priority: -1);
        leaves += 14;

        for (int device = 0; leaves < leafCount; device++)
        {
            if (device % DevicesPerBus == 0)
            {
                string bus = $"bus{device / DevicesPerBus}";
                tree = tree.Define(MemoryRegion.Container(bus, DevicesPerBus * DeviceStride))
                    .AddSubregion("pci", bus, PciWindow + ((ulong)(device / DevicesPerBus) * DevicesPerBus * DeviceStride));
            }

            int count = Math.Min(LeavesPerDevice, leafCount - leaves);
            tree = AddDevice(tree, $"bus{device / DevicesPerBus}", device, count, random);
            leaves += count;
        }

        return tree;
    }

    private static RegionTree AddDevice(RegionTree tree, string bus, int device, int leafCount, Random random)
    {
        string container = $"dev{device}";
        tree = tree.Define(MemoryRegion.Container(container, DeviceSize) with { Enabled = random.NextDouble() >= 0.01 })
            .AddSubregion(bus, container, (ulong)(device % DevicesPerBus) * DeviceStride);

        // Unassigned-access background: renders only where nothing above it does.
        tree = tree.Define(MemoryRegion.Io($"{container}.unassigned", DeviceSize))
            .AddSubregion(container, $"{container}.unassigned", 0, priority: -1);

        for (int leaf = 1; leaf < leafCount; leaf++)
        {
            string name = $"{container}.r{leaf}";
            ulong pages = (ulong)random.Next(1, 9);
            ulong address = Page * (ulong)random.Next(0, (int)(DeviceSize / Page) - (int)pages + 1);
            double kind = random.NextDouble();
            var region = kind switch
            {
                < 0.70 => MemoryRegion.Io(name, pages * Page),
                < 0.85 => new MemoryRegion(name, RegionKind.RamDevice, pages * Page),
                < 0.95 => MemoryRegion.Alias(name, "vram", Page * (ulong)random.Next(0, 0x1000), pages * Page),
                _ => MemoryRegion.Ram(name, pages * Page) with { ReadOnly = true, DirtyLogMask = 0b1 },
            };

            // Equal priorities overlap too: the most recently added wins there, as in QEMU.
            tree = tree.Define(region).AddSubregion(container, name, address, priority: random.Next(0, 3));
        }

        return tree;
    }
}
