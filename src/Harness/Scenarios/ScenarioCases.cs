using System.Collections.Immutable;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Turns the generated case types into scenarios, so every shrunk failure of a suite can be saved and replayed.
/// The conversion records what the model was asked to do (absolute addresses, one commit per transaction), never
/// what it answered: a saved failure carries no expectations taken from a broken model; the runner's invariants
/// are what catch it again.
/// </summary>
public static class ScenarioCases
{
    /// <summary>The scenario of a failed run's shrunk case, or null when none of its arguments has a scenario form.</summary>
    /// <param name="outcome">A failed outcome.</param>
    /// <returns>The scenario or null.</returns>
    public static Scenario? Of(PropertyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var header = new ScenarioHeader(
            $"{outcome.Property.Id} {outcome.Property.TestName}: shrunk failure",
            outcome.Property.Suite,
            outcome.Property.Id,
            outcome.Replay?.ToString());
        foreach (var argument in outcome.ShrunkArguments)
        {
            if (argument is not null && Steps(argument) is { } steps)
            {
                return Scenario.Create(header, steps);
            }
        }

        return null;
    }

    /// <summary>The steps of one generated case, or null when its type has no scenario form.</summary>
    /// <param name="generated">A case object: TreeTransactionCase, RegionTreeCase, LayoutCase, FlatRangesCase, or any
    /// <see cref="IScenarioCase"/>.</param>
    /// <returns>The steps or null.</returns>
    public static IReadOnlyList<ScenarioStep>? Steps(object generated) => generated switch
    {
        TreeTransactionCase c => FromTransactions(c),
        RegionTreeCase c => FromTransactions(new TreeTransactionCase(c, [])),
        LayoutCase c => FromLayout(c),
        FlatRangesCase c => [new ViewStep(c.Ranges)],
        IScenarioCase c => c.ToScenarioSteps(),
        _ => null,
    };

    /// <summary>A generated tree built step by step, committed, then one commit per operation that changes it.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> FromTransactions(TreeTransactionCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var tree = c.Tree.Build();
        var steps = new List<ScenarioStep> { new RootStep(tree.Root) };
        foreach (var r in c.Tree.Regions)
        {
            // The built region carries the absolute sizes and offsets the grid implies.
            steps.Add(new DefineStep(tree[r.Name] with { Subregions = [] }));
        }

        foreach (var p in c.Tree.Placements)
        {
            var placement = tree.PlacementOf(p.Child);
            steps.Add(new PlaceStep(p.Child, p.Parent, placement.Address, placement.Priority));
        }

        steps.Add(new CommitStep());
        foreach (var op in c.Operations)
        {
            var next = op.ApplyTo(tree, c.Tree.Grid);
            if (!ReferenceEquals(next, tree) && Edit(op, next) is { } edit)
            {
                steps.Add(edit);
            }

            steps.Add(new CommitStep { Note = $"transaction: {op}" });
            tree = next;
        }

        return steps;
    }

    /// <summary>A machine, committed, then each machine operation as its own transaction.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ScenarioStep> FromLayout(LayoutCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string ramRegion = c.Layout.Name == "virt" ? "mach-virt.ram" : "pc.ram";
        var steps = new List<ScenarioStep> { new LayoutStep(c.Layout.Name, (ulong)c.Layout.Tree[ramRegion].Size), new CommitStep() };
        foreach (var op in c.Operations)
        {
            steps.Add(new MachineStep(op));
            steps.Add(new CommitStep());
        }

        return steps;
    }

    // The edit as the model path applied it, read back from the changed tree so addresses are absolute.
    private static ScenarioStep? Edit(TreeOperation op, RegionTree next) => op switch
    {
        TreeOperation.SetFlag f => f.Flag switch
        {
            RegionFlag.Enabled => new SetStep(f.Region) { Enabled = f.Value },
            RegionFlag.ReadOnly => new SetStep(f.Region) { ReadOnly = f.Value },
            RegionFlag.NonVolatile => new SetStep(f.Region) { NonVolatile = f.Value },
            RegionFlag.Unmergeable => new SetStep(f.Region) { Unmergeable = f.Value },
            RegionFlag.RomdMode => new SetStep(f.Region) { RomdMode = f.Value },
            _ => new SetStep(f.Region) { DirtyLogMask = next[f.Region].DirtyLogMask },
        },
        TreeOperation.Move m => new MoveStep(m.Region, next.PlacementOf(m.Region).Address),
        TreeOperation.SetAliasOffset a => new SetStep(a.Region) { AliasOffset = next[a.Region].AliasOffset },
        TreeOperation.Unplace u => new UnplaceStep(u.Region),
        TreeOperation.Place p => new PlaceStep(p.Placement.Child, p.Placement.Parent, next.PlacementOf(p.Placement.Child).Address, p.Placement.Priority),
        _ => null,
    };
}
