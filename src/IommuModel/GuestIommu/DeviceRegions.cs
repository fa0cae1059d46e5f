using Verify.MemoryMap.Regions;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// The regions QEMU's VT-d builds for one device address space (<c>vtd_find_add_as</c>): a 2^64 root holding the
/// nodmar alias of all system memory, the IOMMU region, and the interrupt window at priority 64. Exactly one of
/// nodmar and IOMMU is enabled once the switch has settled.
/// </summary>
/// <param name="Device">The device's name; every region name starts with it.</param>
public sealed record DeviceRegions(string Device)
{
    /// <summary>The root container of the device's address space.</summary>
    public string Root => $"{Device}-root";

    /// <summary>The alias of system memory used with remapping off or in passthrough.</summary>
    public string Nodmar => $"{Device}-nodmar";

    /// <summary>The IOMMU region, translated by the guest's tables through the notifier.</summary>
    public string Iommu => $"{Device}-dmar";

    /// <summary>The interrupt window region.</summary>
    public string Interrupts => $"{Device}-ir";

    /// <summary>
    /// The device's tree over <paramref name="system"/>: every system region copied under the device root (placements
    /// re-added in their original order, so equal-priority siblings render the same), plus the device's own regions.
    /// </summary>
    /// <param name="system">The machine's system memory tree.</param>
    /// <param name="nodmar">Whether the nodmar alias is enabled.</param>
    /// <param name="iommu">Whether the IOMMU region is enabled.</param>
    /// <returns>A tree whose root is <see cref="Root"/>.</returns>
    public RegionTree Build(RegionTree system, bool nodmar, bool iommu)
    {
        ArgumentNullException.ThrowIfNull(system);
        var tree = RegionTree.Create(MemoryRegion.Container(Root, AddressSpace.End));
        var pending = system.Regions.Select(r => r with { Subregions = [] }).ToList();
        while (pending.Count > 0)
        {
            // Aliases need their target defined first; a target is never an alias cycle in a renderable tree.
            var ready = pending.Where(r => r.AliasTarget is null || tree.Contains(r.AliasTarget)).ToList();
            Preconditions.CheckState(ready.Count > 0, $"alias cycle among {string.Join(", ", pending.Select(r => r.Name))}");
            foreach (var region in ready)
            {
                tree = tree.Define(region);
            }

            pending.RemoveAll(r => tree.Contains(r.Name));
        }

        var placements = system.Regions.SelectMany(r => r.Subregions.Select(s => (Parent: r.Name, Placement: s))).OrderBy(p => p.Placement.Sequence);
        foreach (var (parent, s) in placements)
        {
            tree = tree.AddSubregion(parent, s.Name, s.Address, s.Priority);
        }

        return tree
            .Define(MemoryRegion.Alias(Nodmar, system.Root, 0, AddressSpace.End) with { Enabled = nodmar })
            .Define(new MemoryRegion(Iommu, RegionKind.Iommu, AddressSpace.End) { Enabled = iommu })
            .Define(MemoryRegion.Io(Interrupts, GuestIommuOptions.InterruptWindow.Size))
            .AddSubregion(Root, Nodmar, 0)
            .AddSubregion(Root, Iommu, 0)
            .AddSubregion(Root, Interrupts, GuestIommuOptions.InterruptWindow.Start, 64);
    }
}
