using System.Collections.Immutable;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Generators.Dma;

/// <summary>One container's part of one transaction: what it held before, the plan, what it holds after.</summary>
/// <param name="Container">The container.</param>
/// <param name="Before">Its live mappings before the transaction.</param>
/// <param name="Plan">The coalescing plan (null for the naive listener's containers).</param>
/// <param name="Operations">The ioctls it received.</param>
/// <param name="After">Its live mappings after.</param>
/// <param name="HostSideMismatch">For a real type1 container, where its page tables or pins disagreed with its
/// mappings right after the transaction (<see cref="CaseContainers.HostSideMismatch"/>); null when they agree.</param>
public sealed record ContainerStep(IDmaBackend Container, ImmutableArray<DmaMapping> Before, DmaPlan? Plan, ImmutableArray<DmaOperation> Operations,
    ImmutableArray<DmaMapping> After, string? HostSideMismatch = null);

/// <summary>A hot-plug: the container and the replay plan it got.</summary>
/// <param name="Container">The new container.</param>
/// <param name="View">The view it was replayed.</param>
/// <param name="Replay">The coalescing listener's replay plan.</param>
/// <param name="After">Its mappings after the replay.</param>
public sealed record Hotplug(IDmaBackend Container, FlatView View, DmaPlan Replay, ImmutableArray<DmaMapping> After);

/// <summary>One committed transaction.</summary>
/// <param name="Number">0 for the first commit (from the empty view).</param>
/// <param name="Old">The view before.</param>
/// <param name="New">The view after.</param>
/// <param name="Unsimplified">The unsimplified render of the new view.</param>
/// <param name="Hotplugs">Containers hot-plugged just before this transaction.</param>
/// <param name="Coalescing">The coalescing listener's containers.</param>
/// <param name="Naive">The naive listener's containers.</param>
public sealed record TransactionRecord(int Number, FlatView Old, FlatView New, FlatView Unsimplified, ImmutableArray<Hotplug> Hotplugs,
    ImmutableArray<ContainerStep> Coalescing, ImmutableArray<ContainerStep> Naive);

/// <summary>Runs a <see cref="DmaCase"/>: both listeners on one address space, a container per listener from the
/// start, and one more per listener at each hot-plug point (<see cref="CaseContainers"/> decides which kind).</summary>
public static class ListenerRun
{
    /// <summary>Executes the case.</summary>
    /// <param name="c">The case.</param>
    /// <returns>One record per transaction.</returns>
    public static IReadOnlyList<TransactionRecord> Execute(DmaCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var trees = c.Trees();
        var topology = new MemoryTopology();
        var naive = new NaiveVfioListener(c.DmaOptions);
        var coalescing = new CoalescingListener(c.DmaOptions, c.PlanOptions);
        topology.Register(naive);
        topology.Register(coalescing);
        var containers = CaseContainers.For(c, trees);
        naive.AddContainer(containers.Create("naive0"));
        coalescing.AddContainer(containers.Create("container0"));
        var records = new List<TransactionRecord>();
        for (int i = 0; i < trees.Count; i++)
        {
            var hotplugs = ImmutableArray.CreateBuilder<Hotplug>();
            if (c.Hotplugs.Contains(i))
            {
                var added = containers.Create($"container{coalescing.Containers.Count}");
                var replay = coalescing.AddContainer(added);
                hotplugs.Add(new Hotplug(added, topology.Current, replay, [.. added.Mappings]));
                naive.AddContainer(containers.Create($"naive{naive.Containers.Count}"));
            }

            var old = topology.Current;
            var unsimplified = trees[i].RenderUnsimplified();
            var view = unsimplified.Simplify(); // what RegionTree.Render returns, without rendering twice
            var before = coalescing.Containers.ToDictionary(k => k, k => k.Mappings.ToImmutableArray());
            var naiveBefore = naive.Containers.ToDictionary(k => k, k => k.Mappings.ToImmutableArray());
            coalescing.UnsimplifiedHint = unsimplified;
            topology.Commit(view);
            records.Add(new TransactionRecord(
                i, old, view, unsimplified, hotplugs.ToImmutable(),
                [.. coalescing.Containers.Select(k => new ContainerStep(k, before[k], coalescing.LastPlans[k], coalescing.LastPlans[k].Operations, [.. k.Mappings], containers.HostSideMismatch(k)))],
                [.. naive.Containers.Select(k => new ContainerStep(k, naiveBefore[k], null, [.. naive.OperationsOf(k, naive.Transaction)], [.. k.Mappings], containers.HostSideMismatch(k)))]));
        }

        return records;
    }
}
