using System.Collections.Immutable;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Layouts;

/// <summary>
/// Where a machine's RAM-backed regions live in the QEMU process that runs it: one host virtual and physical range
/// per region, in name order, each starting on a 1 GiB boundary (hugepage-backed guest memory, so an IOMMU domain
/// can use its largest leaves) with at least one unmapped GiB after it (a mapping that runs past its region faults).
/// A <c>ram-device</c> region is another device's BAR: its physical range is reserved, never refcounted or charged
/// (docs/semantics.md 5.3).
/// </summary>
public sealed class HostBacking
{
    private const ulong Page = 0x1000;
    private const ulong Gigabyte = 1UL << 30;
    private const ulong HvaBase = 0x7f00_0000_0000;
    private const ulong HpaBase = 0x1_0000_0000;

    private HostBacking(HostMemory host, RamBlocks blocks, ImmutableDictionary<string, ulong> hpaBases)
    {
        Host = host;
        Blocks = blocks;
        HpaBases = hpaBases;
    }

    /// <summary>The process.</summary>
    public HostMemory Host { get; }

    /// <summary>Where each region starts in <see cref="Host"/>'s virtual space.</summary>
    public RamBlocks Blocks { get; }

    /// <summary>The host physical address of each region's first byte.</summary>
    public ImmutableDictionary<string, ulong> HpaBases { get; }

    /// <summary>Lays out every RAM-backed region among <paramref name="regions"/> (a name seen twice, as in the trees
    /// of successive transactions, gets one range of its largest size).</summary>
    /// <param name="regions">Regions of any kind; containers, I/O, IOMMU regions and aliases are skipped.</param>
    /// <returns>The backing.</returns>
    public static HostBacking Of(IEnumerable<MemoryRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        var host = new HostMemory();
        var blocks = RamBlocks.Empty;
        var bases = ImmutableDictionary.CreateBuilder<string, ulong>(StringComparer.Ordinal);
        ulong hva = HvaBase, hpa = HpaBase;
        var backed = regions
            .Where(r => r.Kind is RegionKind.Ram or RegionKind.RamDevice or RegionKind.Rom or RegionKind.RomDevice)
            .GroupBy(r => r.Name, StringComparer.Ordinal)
            .Select(g => g.MaxBy(r => r.Size)!)
            .OrderBy(r => r.Name, StringComparer.Ordinal);
        foreach (var region in backed)
        {
            ulong size = (ulong)((region.Size + Page - 1) / Page * Page);
            host.AddVirtualRange(hva, size, hpa);
            if (region.Kind == RegionKind.RamDevice)
            {
                host.AddReservedRange(hpa, size);
            }

            blocks = blocks.With(region.Name, hva, size);
            bases[region.Name] = hpa;
            ulong step = (size + Gigabyte) & ~(Gigabyte - 1);
            hva += step;
            hpa += step;
        }

        return new HostBacking(host, blocks, bases.ToImmutable());
    }
}
