using System.Collections.Immutable;
using System.Text;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Layouts;
using Verify.MemoryMap.Regions;
using Verify.Vfio;

namespace Verify.Harness.Generators.Dma;

/// <summary>
/// A DMA listener case: a sequence of memory transactions (on a generated tree or a realistic machine), the
/// listener and backend options, and the transactions before which a new container is hot-plugged.
/// </summary>
/// <param name="Tree">A generated tree and its transactions, or null.</param>
/// <param name="Layout">A realistic machine and its transactions, or null.</param>
/// <param name="HostPageSize">Host page size (4 KiB or 64 KiB).</param>
/// <param name="Granularity">The coalescing listener's mapping granularity.</param>
/// <param name="SplitCapable">Whether the containers can cut mappings in place.</param>
/// <param name="EntryLimit">The containers' entry limit.</param>
/// <param name="Hotplugs">Transaction numbers (0 = the first commit) before which a new container joins.</param>
/// <param name="UnmapAll">Whether the containers take VFIO_DMA_UNMAP_FLAG_ALL (kernels before 5.12 do not: a whole-space
/// unmap is then two halves).</param>
public sealed record DmaCase(
    TreeTransactionCase? Tree,
    LayoutCase? Layout,
    ulong HostPageSize,
    MappingGranularity Granularity,
    bool SplitCapable,
    int EntryLimit,
    ImmutableArray<int> Hotplugs,
    bool UnmapAll = true)
{
    /// <summary>The trees whose renders are committed, in order (the first commit goes from the empty view).</summary>
    /// <returns>The trees.</returns>
    public IReadOnlyList<RegionTree> Trees() => Tree?.ModelTrees() ?? Layout!.Trees();

    /// <summary>The listener's section options.</summary>
    public DmaOptions DmaOptions => new() { HostPageSize = HostPageSize };

    /// <summary>The container rules.</summary>
    public DmaBackendTraits Traits => (SplitCapable ? DmaBackendTraits.SplitCapable : DmaBackendTraits.Type1) with { EntryLimit = EntryLimit, SupportsUnmapAll = UnmapAll };

    /// <summary>The coalescing listener's planning options.</summary>
    public PlanOptions PlanOptions => new() { Granularity = Granularity, Granule = Granule, Backend = Traits };

    /// <summary>The fixed granule: 2 MiB (virtio-mem's block size) on generated trees, 256 MiB (a memslot) on
    /// realistic machines, whose gigabytes of RAM would otherwise give the page-by-page oracle thousands of
    /// mappings to scan. Generated trees still reach unlistable granule splits through the 2^56-unit grids.</summary>
    public ulong Granule => Layout is null ? Math.Max(0x20_0000, HostPageSize) : 0x1000_0000;

    /// <summary>Smaller variants: simpler options, fewer hotplugs, a smaller underlying case.</summary>
    /// <returns>Candidates.</returns>
    public IEnumerable<DmaCase> Shrink()
    {
        for (int i = 0; i < Hotplugs.Length; i++)
        {
            yield return this with { Hotplugs = Hotplugs.RemoveAt(i) };
        }

        // Removing a transaction moves the hot-plugs after it one earlier, so they still happen at the same point.
        int count = Tree?.Operations.Length ?? Layout!.Operations.Length;
        for (int i = 0; i < count; i++)
        {
            var hotplugs = Hotplugs.Select(h => h > i + 1 ? h - 1 : h).Distinct().ToImmutableArray();
            yield return Tree is not null
                ? this with { Tree = Tree with { Operations = Tree.Operations.RemoveAt(i) }, Hotplugs = hotplugs }
                : this with { Layout = Layout! with { Operations = Layout.Operations.RemoveAt(i) }, Hotplugs = hotplugs };
        }

        if (Tree is not null)
        {
            foreach (var t in Tree.Shrink())
            {
                yield return this with { Tree = t };
            }
        }

        if (Layout is not null)
        {
            foreach (var l in Layout.Shrink())
            {
                yield return this with { Layout = l };
            }
        }

        if (HostPageSize != 0x1000) { yield return this with { HostPageSize = 0x1000 }; }
        if (Granularity != MappingGranularity.PerRange) { yield return this with { Granularity = MappingGranularity.PerRange }; }
        if (EntryLimit < DmaBackendTraits.DefaultEntryLimit) { yield return this with { EntryLimit = DmaBackendTraits.DefaultEntryLimit }; }
        if (!UnmapAll) { yield return this with { UnmapAll = true }; }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"listener host-page=0x{HostPageSize:x} granularity={Granularity}{(Granularity == MappingGranularity.FixedGranule ? $"(0x{Granule:x})" : "")} backend={(SplitCapable ? "split-capable" : "type1")} entry-limit={EntryLimit}{(UnmapAll ? "" : " unmap-all=no")}").AppendLine();
        text.AppendLine(Tree?.ToString() ?? Layout!.ToString());
        if (!Hotplugs.IsEmpty)
        {
            text.Append("hotplug a container before transactions ").AppendJoin(", ", Hotplugs.Select(h => h + 1)).AppendLine();
        }

        return text.ToString().TrimEnd();
    }
}
