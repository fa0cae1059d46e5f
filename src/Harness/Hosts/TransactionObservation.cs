using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Hosts;

/// <summary>What one memory transaction did: the views before and after, the unsimplified render of the new one,
/// and the events the topology gave the listeners.</summary>
/// <param name="Number">1 for the scenario's first transaction.</param>
/// <param name="Old">The view listeners saw before.</param>
/// <param name="New">The simplified view after.</param>
/// <param name="Unsimplified">The new view before simplify (a rendered tree, or the view a <c>view</c> step gave).</param>
/// <param name="Events">What <see cref="MemoryTopology.Commit"/> told the listeners.</param>
public sealed record TransactionObservation(int Number, FlatView Old, FlatView New, FlatView Unsimplified, ImmutableArray<TopologyEvent> Events);

/// <summary>What a <c>view</c> step did with the ranges it was given.</summary>
/// <param name="Given">The ranges, in the order given.</param>
/// <param name="Accepted">The view <see cref="FlatView.Create"/> made of them, or null when it refused them.</param>
/// <param name="Refusal">The refusal's message, or null.</param>
/// <param name="Simplified">The implementation's simplify of <paramref name="Accepted"/>, or null.</param>
public sealed record ViewObservation(ImmutableArray<FlatRange> Given, FlatView? Accepted, string? Refusal, FlatView? Simplified);
