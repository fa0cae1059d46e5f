using System.Collections.Immutable;
using System.Text;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>A generated tree and a sequence of transactions on it (one operation per transaction).</summary>
/// <param name="Tree">The starting tree.</param>
/// <param name="Operations">The transactions, in order.</param>
public sealed record TreeTransactionCase(RegionTreeCase Tree, ImmutableArray<TreeOperation> Operations)
{
    /// <summary>The model's trees: the start, then one per operation applied through the <see cref="RegionTree"/> API.</summary>
    /// <returns>Operations + 1 trees.</returns>
    public IReadOnlyList<RegionTree> ModelTrees()
    {
        var trees = new List<RegionTree> { Tree.Build() };
        foreach (var op in Operations)
        {
            trees.Add(op.ApplyTo(trees[^1], Tree.Grid));
        }

        return trees;
    }

    /// <summary>The data after each operation, built afresh (what the oracle paints).</summary>
    /// <returns>Operations + 1 cases.</returns>
    public IReadOnlyList<RegionTreeCase> DataSteps()
    {
        var steps = new List<RegionTreeCase> { Tree };
        foreach (var op in Operations)
        {
            steps.Add(op.ApplyTo(steps[^1]));
        }

        return steps;
    }

    /// <summary>The rendered, simplified views of <see cref="ModelTrees"/>.</summary>
    /// <returns>Operations + 1 views.</returns>
    public IReadOnlyList<FlatView> Views() => ModelTrees().Select(t => t.Render()).ToList();

    /// <summary>Smaller variants: fewer operations, simpler operations, a smaller tree.</summary>
    /// <returns>Candidates.</returns>
    public IEnumerable<TreeTransactionCase> Shrink()
    {
        for (int i = 0; i < Operations.Length; i++)
        {
            yield return this with { Operations = Operations.RemoveAt(i) };
        }

        for (int i = 0; i < Operations.Length; i++)
        {
            foreach (var simpler in Operations[i].Shrink())
            {
                yield return this with { Operations = Operations.SetItem(i, simpler) };
            }
        }

        foreach (var tree in Tree.Shrink())
        {
            yield return this with { Tree = tree };
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder().AppendLine(Tree.ToString());
        for (int i = 0; i < Operations.Length; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"transaction {i + 1}: {Operations[i]}").AppendLine();
        }

        return text.ToString().TrimEnd();
    }
}
