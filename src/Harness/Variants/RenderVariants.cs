using Verify.Harness.Implementations;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Variants;

/// <summary>
/// Broken renderers for FV-01 and FV-06: the model's renderer over a tree rewritten so that it renders as a renderer
/// with one bug would render the original tree. Simplify and diff are the model's.
/// </summary>
public static class RenderVariants
{
    /// <summary>Priority ties go to the oldest subregion instead of the most recently added one (docs/semantics.md
    /// render order; QEMU inserts a new subregion before its equal-priority siblings, so the newest wins).</summary>
    public static MemoryMapImplementation PriorityTiesToTheOldest { get; } = Rendering("priority ties to the oldest", tree =>
    {
        // Re-placing every child, newest first, hands out new sequence numbers in reverse: the oldest ends up newest.
        foreach (var region in tree.Regions.ToList())
        {
            foreach (var child in region.Subregions.OrderByDescending(s => s.Sequence))
            {
                tree = tree.RemoveSubregion(child.Name).AddSubregion(region.Name, child.Name, child.Address, child.Priority);
            }
        }

        return tree;
    });

    /// <summary>An alias shows its target from offset 0 whatever its alias offset (the pc.ram below-4G / above-4G
    /// aliases and every PAM segment rely on the offset).</summary>
    public static MemoryMapImplementation AliasOffsetIgnored { get; } =
        Rendering("alias offset ignored", tree => Updated(tree, r => r.Kind == RegionKind.Alias ? r with { AliasOffset = 0 } : r));

    /// <summary>Disabled regions are rendered as if enabled (<c>memory_region_set_enabled(false)</c> ignored, as a
    /// PCI BAR turned off by its command register would stay mapped).</summary>
    public static MemoryMapImplementation DisabledRegionsRendered { get; } =
        Rendering("disabled regions rendered", tree => Updated(tree, r => r with { Enabled = true }));

    /// <summary>Read-only is taken from the terminal region alone, not OR-ed down the path from containers and
    /// aliases (a read-only PAM alias over RAM would become writable).</summary>
    public static MemoryMapImplementation ReadOnlyNotInherited { get; } =
        Rendering("read-only not inherited", tree => Updated(tree, r => r.Terminates ? r : r with { ReadOnly = false }));

    /// <summary>A range shows the priority of its region's current placement, 0 for a region placed nowhere, where QEMU
    /// shows the region's own <c>mr-&gt;priority</c>, which its last placement left behind (docs/semantics.md 2.1, "a
    /// region's own priority"): the target of an alias that was placed once and is no longer shows 0. This was the
    /// model's own bug until <c>verify qemu fuzz</c> found VGA's <c>vga.vram</c> behind <c>vga.chain4</c>.</summary>
    public static MemoryMapImplementation PriorityFromCurrentPlacement { get; } = MemoryMapImplementation.Model with
    {
        Name = "priority from the current placement",
        RenderUnsimplified = tree => FlatView.Create(tree.RenderUnsimplified().Ranges.Select(r =>
            r with { Priority = tree.ParentOf(r.Region) is null ? 0 : tree.PlacementOf(r.Region).Priority })),
    };

    private static MemoryMapImplementation Rendering(string name, Func<RegionTree, RegionTree> rewrite) =>
        MemoryMapImplementation.Model with { Name = name, RenderUnsimplified = tree => rewrite(tree).RenderUnsimplified() };

    private static RegionTree Updated(RegionTree tree, Func<MemoryRegion, MemoryRegion> change)
    {
        foreach (var region in tree.Regions.ToList())
        {
            tree = tree.Update(region.Name, change);
        }

        return tree;
    }
}
