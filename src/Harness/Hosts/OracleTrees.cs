using Verify.MemoryMap.Regions;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Hosts;

/// <summary>Copies a model tree's data (regions and placements, in the order they were made) into the oracle's own
/// tree. Used once, for the machine a <c>layout</c> step starts from; every later edit is applied to both trees
/// separately.</summary>
public static class OracleTrees
{
    /// <summary>The oracle's tree holding what <paramref name="tree"/> holds.</summary>
    /// <param name="tree">A model tree.</param>
    /// <returns>A new oracle tree.</returns>
    public static PlainRegionTree From(RegionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var plain = new PlainRegionTree(tree[tree.Root] with { Subregions = [] });
        foreach (var region in tree.Regions.Where(r => r.Name != tree.Root))
        {
            plain.Define(region with { Subregions = [] });
        }

        var placements = tree.Regions.SelectMany(parent => parent.Subregions.Select(s => (Parent: parent.Name, Placement: s)))
            .OrderBy(p => p.Placement.Sequence);
        foreach (var (parent, s) in placements)
        {
            plain.Place(parent, s.Name, s.Address, s.Priority);
        }

        return plain;
    }
}
