using System.Collections.Immutable;
using Verify.Harness.Scenarios;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>
/// The steps of a generated tree and its transactions, worked out from the case's data alone (grid units turned into
/// absolute addresses as <see cref="RegionTreeCase.TryBuild"/> places them), never by asking the model's tree: a broken
/// <see cref="RegionTree.Move"/> must not decide what a saved scenario asks for. The tree is built step by step and
/// committed, then each transaction is the edits that turn one data state into the next, and a commit.
/// </summary>
public static class TreeSteps
{
    /// <summary>The steps of <paramref name="c"/>.</summary>
    /// <param name="c">The case.</param>
    /// <returns>Setup, first commit, then per transaction its edits and a commit.</returns>
    public static IReadOnlyList<ScenarioStep> Of(TreeTransactionCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var steps = new List<ScenarioStep>(Setup(c.Tree)) { new CommitStep() };
        var data = c.Tree;
        foreach (var op in c.Operations)
        {
            var next = op.ApplyTo(data);
            steps.AddRange(Edits(data, next));
            steps.Add(new CommitStep { Note = $"transaction: {op}" });
            data = next;
        }

        return steps;
    }

    /// <summary>The root, every region defined, every placement made, in the case's order.</summary>
    /// <param name="tree">The tree.</param>
    /// <returns>The steps (no commit).</returns>
    public static IEnumerable<ScenarioStep> Setup(RegionTreeCase tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        yield return new RootStep(RegionTreeCase.RootName);
        foreach (var r in tree.Regions)
        {
            yield return new DefineStep(Region(tree, r));
        }

        foreach (var p in tree.Placements)
        {
            yield return new PlaceStep(p.Child, p.Parent, Address(tree, p), p.Priority);
        }
    }

    // What turns one data state into the next: a setter per changed region, then placements removed, moved, added.
    private static IEnumerable<ScenarioStep> Edits(RegionTreeCase before, RegionTreeCase after)
    {
        foreach (var r in after.Regions)
        {
            if (before.Regions.FirstOrDefault(b => b.Name == r.Name) is not { } old || old == r)
            {
                continue;
            }

            var (o, n) = (Region(before, old), Region(after, r));
            yield return new SetStep(r.Name)
            {
                Enabled = o.Enabled != n.Enabled ? n.Enabled : null,
                ReadOnly = o.ReadOnly != n.ReadOnly ? n.ReadOnly : null,
                NonVolatile = o.NonVolatile != n.NonVolatile ? n.NonVolatile : null,
                Unmergeable = o.Unmergeable != n.Unmergeable ? n.Unmergeable : null,
                DirtyLogMask = o.DirtyLogMask != n.DirtyLogMask ? n.DirtyLogMask : null,
                RomdMode = o.RomdMode != n.RomdMode ? n.RomdMode : null,
                AliasOffset = o.AliasOffset != n.AliasOffset ? n.AliasOffset : null,
            };
        }

        foreach (var p in before.Placements.Where(p => !after.Placements.Any(a => a.Child == p.Child)))
        {
            yield return new UnplaceStep(p.Child);
        }

        foreach (var p in after.Placements)
        {
            var old = before.Placements.FirstOrDefault(b => b.Child == p.Child);
            if (old is null)
            {
                yield return new PlaceStep(p.Child, p.Parent, Address(after, p), p.Priority);
            }
            else if (Address(before, old) != Address(after, p))
            {
                yield return new MoveStep(p.Child, Address(after, p));
            }
        }
    }

    private static MemoryRegion Region(RegionTreeCase tree, RegionSpec r) =>
        r.Build(tree.Grid, r.AliasTarget is { } target && IsWhole(tree, target));

    private static ulong Address(RegionTreeCase tree, PlacementSpec p) =>
        IsWhole(tree, p.Child) ? 0 : IsWhole(tree, p.Parent) ? tree.Grid.At(p.AddressUnits) : p.AddressUnits * tree.Grid.Unit;

    private static bool IsWhole(RegionTreeCase tree, string name) =>
        name == RegionTreeCase.RootName || tree.Regions.Any(r => r.Name == name && tree.IsWholeSpace(r));

    /// <summary>The size of a tree case, as a reader counts it.</summary>
    /// <param name="c">The case.</param>
    /// <returns>Placements and transactions.</returns>
    public static CaseSize Size(TreeTransactionCase c) => new(c.Tree.Placements.Length + c.Operations.Length, "placements and transactions");

    /// <summary>The steps of a tree without transactions.</summary>
    /// <param name="tree">The tree.</param>
    /// <returns>Setup and commit.</returns>
    public static ImmutableArray<ScenarioStep> Of(RegionTreeCase tree) => [.. Of(new TreeTransactionCase(tree, []))];
}
