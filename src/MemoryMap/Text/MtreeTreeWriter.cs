using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// Prints a region tree the way QEMU's <c>mtree_info</c> prints an address space with <c>-D</c> (disabled regions
/// shown): <c>mtree_print_mr</c> for the root, then one <c>memory-region:</c> section per alias target in the order the
/// printing first reached it (<c>alias_print_queue</c>), each printed once.
/// </summary>
internal sealed class MtreeTreeWriter
{
    private readonly RegionTree _tree;
    private readonly StringBuilder _text = new();
    private readonly List<string> _queue = [];
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);

    private MtreeTreeWriter(RegionTree tree) => _tree = tree;

    public static string Write(RegionTree tree, string addressSpace)
    {
        var writer = new MtreeTreeWriter(tree);
        writer._text.Append(MtreeTreeParser.AddressSpaceHeader).Append(addressSpace).Append('\n');
        writer.Print(tree.Root, 1, 0);
        // The queue grows while targets print: an alias inside a target queues its own target.
        for (int i = 0; i < writer._queue.Count; i++)
        {
            string target = writer._queue[i];
            writer._text.Append('\n').Append(MtreeTreeParser.MemoryRegionHeader).Append(target).Append('\n');
            writer.Print(target, 1, 0);
        }

        return writer._text.ToString();
    }

    /// <summary>What the text cannot say about <paramref name="tree"/>: containers printed without subregions and
    /// MMIO printed with some (both are <c>i/o</c>), and read-only regions whose type word does not say so (an alias
    /// prints its target's type; only RAM prints <c>rom</c>).</summary>
    public static MtreeTreeHints HintsFor(RegionTree tree)
    {
        var regions = tree.Regions.ToList();
        return new MtreeTreeHints
        {
            ContainerIo = regions.Where(r => r.Kind == RegionKind.Container && r.Subregions.IsEmpty).Select(r => r.Name).ToImmutableHashSet(StringComparer.Ordinal),
            TerminalIo = regions.Where(r => r.Kind != RegionKind.Container && r.Kind != RegionKind.Alias && TypeWord(tree, r) == "i/o" && !r.Subregions.IsEmpty)
                .Select(r => r.Name).ToImmutableHashSet(StringComparer.Ordinal),
            ReadOnlyAliases = regions.Where(r => r.ReadOnly && (r.Kind == RegionKind.Alias || TypeWord(tree, r) != "rom")).Select(r => r.Name).ToImmutableHashSet(StringComparer.Ordinal),
        };
    }

    // memory_region_type: an alias shows its target's type; ROM is RAM that is read-only; a ROM device is "romd" only in
    // ROM mode; containers, MMIO and IOMMU regions are all "i/o".
    private static string TypeWord(RegionTree tree, MemoryRegion region)
    {
        for (int hops = 0; region.Kind == RegionKind.Alias && hops <= RegionTree.MaxNesting; hops++)
        {
            region = tree[region.AliasTarget!];
        }

        return region.Kind switch
        {
            RegionKind.RamDevice => "ramd",
            RegionKind.RomDevice when region.RomdMode => "romd",
            RegionKind.Ram or RegionKind.Rom => region.ReadOnly ? "rom" : "ram",
            _ => "i/o",
        };
    }

    private void Print(string name, int level, ulong parentStart)
    {
        var region = _tree[name];
        ulong address = _tree.ParentOf(name) is null ? 0 : _tree.PlacementOf(name).Address;
        // mtree_print_mr prints mr->priority, which a removed region keeps (a memory-region: root shows it).
        int priority = region.Priority;
        ulong start = unchecked(parentStart + address);
        ulong last = unchecked(start + SizeMinusOne(region.Size));
        if (start < parentStart || last < start)
        {
            _text.Append(MtreeSyntax.OverflowMarker).Append(' ');
        }

        _text.Append(' ', 2 * level).Append(CultureInfo.InvariantCulture, $"{start:x16}-{last:x16} (prio {priority}, {(region.NonVolatile ? "nv-" : "")}{TypeWord(_tree, region)}): ");
        if (region.Kind == RegionKind.Alias)
        {
            string target = region.AliasTarget!;
            if (_queued.Add(target))
            {
                _queue.Add(target);
            }

            _text.Append(CultureInfo.InvariantCulture,
                $"alias {name} @{target} {region.AliasOffset:x16}-{unchecked(region.AliasOffset + SizeMinusOne(region.Size)):x16}");
        }
        else
        {
            _text.Append(name);
        }

        _text.Append(region.Enabled ? "" : " [disabled]").Append('\n');

        // mtree_print_mr's submr_print_queue: by address, then higher priority first, else in the container's order
        // (which is render order); OrderBy is stable.
        foreach (var child in region.Subregions.OrderBy(s => s.Address).ThenByDescending(s => s.Priority))
        {
            Print(child.Name, level + 1, start);
        }
    }

    // MR_SIZE: size - 1, modulo 2^64, and 0 for an empty region.
    private static ulong SizeMinusOne(UInt128 size) => size == 0 ? 0 : (ulong)(size - 1);
}
