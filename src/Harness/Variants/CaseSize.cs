using Verify.Harness.Generators.Dma;
using Verify.Harness.Generators.Lifecycle;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Generators.PageTables;
using Verify.Harness.Generators.Type1;
using Verify.Harness.Layouts;

namespace Verify.Harness.Variants;

/// <summary>How big a generated case is, in the units a reader counts when reading its scenario: placements and
/// transactions of a tree, ranges of a view, calls of a script. A well-shrunk counterexample is a handful.</summary>
/// <param name="Count">The size.</param>
/// <param name="Unit">What was counted.</param>
public readonly record struct CaseSize(int Count, string Unit)
{
    /// <summary>The size of a shrunk argument, or null for a type without a measure (a re-layout, a number).</summary>
    /// <param name="argument">A generated case.</param>
    /// <returns>Its size or null.</returns>
    public static CaseSize? Of(object? argument) => argument switch
    {
        TreeTransactionCase c => new CaseSize(c.Tree.Placements.Length + c.Operations.Length, "placements and transactions"),
        FlatRangesCase c => new CaseSize(c.Ranges.Length, "ranges"),
        LayoutCase c => new CaseSize(c.Operations.Length, "transactions"),
        DmaCase { Tree: { } t } c => new CaseSize(t.Tree.Placements.Length + t.Operations.Length + c.Hotplugs.Length, "placements, transactions and hot-plugs"),
        DmaCase c => new CaseSize(c.Layout!.Operations.Length + c.Hotplugs.Length, "transactions and hot-plugs"),
        PageTableCase c => new CaseSize(c.Ops.Length, "operations"),
        Type1Case c => new CaseSize(c.Ops.Length, "calls"),
        LifecycleScript s => new CaseSize(s.Steps.Length, "triggers"),
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Count} {Unit}";
}
