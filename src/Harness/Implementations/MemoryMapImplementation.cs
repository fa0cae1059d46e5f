using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Implementations;

/// <summary>
/// The MemoryMap operations the FlatView and topology suites check, as a value, so a suite can run against a
/// deliberately broken re-implementation (<c>BrokenVariants</c>) without a bug switch in the library.
/// </summary>
/// <param name="Name">What this implementation is, for messages.</param>
/// <param name="RenderUnsimplified">Renders a region tree without simplifying (<c>render_memory_region</c>).</param>
/// <param name="Simplify">Merges neighbours that <c>can_merge</c> allows (<c>flatview_simplify</c>).</param>
/// <param name="Diff">The events from an old view to a new one (<c>address_space_update_topology_pass</c>, both passes).</param>
/// <param name="Replay">The events a listener registered late is replayed (<c>listener_add_address_space</c>).</param>
public sealed record MemoryMapImplementation(
    string Name,
    Func<RegionTree, FlatView> RenderUnsimplified,
    Func<FlatView, FlatView> Simplify,
    Func<FlatView, FlatView, ImmutableArray<TopologyEvent>> Diff,
    Func<FlatView, ImmutableArray<TopologyEvent>> Replay)
{
    /// <summary>The library itself: what the catalogued properties check.</summary>
    public static MemoryMapImplementation Model { get; } =
        new("the model", t => t.RenderUnsimplified(), v => v.Simplify(), TopologyDiff.Compute, TopologyDiff.Replay);

    /// <summary>Moves a placed region (<c>memory_region_set_address</c>: delete, then add, so it becomes the newest
    /// among its siblings); the library's <see cref="RegionTree.Move"/> unless a variant says otherwise.</summary>
    public Func<RegionTree, string, ulong, RegionTree> Move { get; init; } = (tree, region, address) => tree.Move(region, address);

    /// <summary>Renders and simplifies, as <see cref="RegionTree.Render"/> does.</summary>
    /// <param name="tree">The tree.</param>
    /// <returns>The simplified view.</returns>
    public FlatView Render(RegionTree tree) => Simplify(RenderUnsimplified(tree));

    /// <inheritdoc/>
    public override string ToString() => Name;
}
