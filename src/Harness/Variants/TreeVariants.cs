using Verify.Harness.Implementations;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Variants;

/// <summary>Broken region-tree edits for FV-01: the render and the oracle are right, the tree a step edited is not.
/// A property that paints a tree rebuilt from the case's data would never see these; the oracle's own tree, edited by
/// the same steps, does.</summary>
public static class TreeVariants
{
    /// <summary>A move keeps the region where it was in its siblings' order, instead of making it the newest, as
    /// QEMU's delete-then-add does: among equal priorities an older overlapping sibling now wins.</summary>
    public static MemoryMapImplementation MoveKeepsSiblingOrder { get; } = MemoryMapImplementation.Model with
    {
        Name = "a move that keeps its place among siblings",
        Move = (tree, region, address) =>
        {
            string parent = tree.ParentOf(region) ?? throw new ArgumentException($"region '{region}' is not placed in any parent", nameof(region));
            if (tree.PlacementOf(region).Address == address)
            {
                return tree;
            }

            // Re-placing every sibling in its old order keeps the relative age of all of them.
            var siblings = tree[parent].Subregions.OrderBy(s => s.Sequence).ToList();
            foreach (var s in siblings)
            {
                tree = tree.RemoveSubregion(s.Name);
            }

            foreach (var s in siblings)
            {
                tree = tree.AddSubregion(parent, s.Name, s.Name == region ? address : s.Address, s.Priority);
            }

            return tree;
        },
    };
}
