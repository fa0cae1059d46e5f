using System.Collections.Immutable;
using System.Text;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Layouts;

/// <summary>A realistic machine and a sequence of transactions on it.</summary>
/// <param name="Layout">The machine at start.</param>
/// <param name="Operations">The transactions, in order.</param>
public sealed record LayoutCase(MachineLayout Layout, ImmutableArray<LayoutOperation> Operations)
{
    /// <summary>The tree at start and after each transaction.</summary>
    /// <returns>Operations + 1 trees.</returns>
    public IReadOnlyList<RegionTree> Trees()
    {
        var trees = new List<RegionTree> { Layout.Tree };
        foreach (var op in Operations)
        {
            trees.Add(op.ApplyTo(Layout, trees[^1]));
        }

        return trees;
    }

    /// <summary>The rendered, simplified view at start and after each transaction.</summary>
    /// <returns>Operations + 1 views.</returns>
    public IReadOnlyList<FlatView> Views() => Trees().Select(t => t.Render()).ToList();

    /// <summary>Smaller variants: fewer operations, simpler operations.</summary>
    /// <returns>Candidates.</returns>
    public IEnumerable<LayoutCase> Shrink()
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
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder().AppendLine(Layout.ToString());
        for (int i = 0; i < Operations.Length; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"transaction {i + 1}: {Operations[i]}").AppendLine();
        }

        return text.ToString().TrimEnd();
    }
}
