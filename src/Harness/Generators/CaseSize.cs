
namespace Verify.Harness.Generators;

/// <summary>How big a generated case is, in the units a reader counts when reading its scenario: placements and
/// transactions of a tree, ranges of a view, calls of a script. A well-shrunk counterexample is a handful.</summary>
/// <param name="Count">The size.</param>
/// <param name="Unit">What was counted.</param>
public readonly record struct CaseSize(int Count, string Unit)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Count} {Unit}";
}
