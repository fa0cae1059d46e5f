using Verify.Harness.Implementations;

namespace Verify.Harness.Variants;

/// <summary>
/// A deliberately broken version of one model with the property expected to catch it: the standing proof that a
/// suite has teeth. <see cref="BrokenVariants.All"/> lists them; a test runs each at the default budget, and replays
/// the shrunk failure's scenario file against the variant (it must fail) and against the real models (it must hold).
/// </summary>
/// <param name="Name">Short name, for example <c>merge-forgets-offset</c>.</param>
/// <param name="Area">The model it breaks: FlatView, Topology, DmaListener, PageTable, Type1, GuestIommu or Lifecycle.</param>
/// <param name="Breaks">The one bug, in a sentence.</param>
/// <param name="CaughtBy">The catalogue id of the property expected to catch it, for example <c>FV-03</c>.</param>
/// <param name="Implementation">The models with the bug in.</param>
public sealed record BrokenVariant(string Name, string Area, string Breaks, string CaughtBy, ImplementationUnderTest Implementation)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}
