using System.Collections.Immutable;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.RealQemu;

/// <summary>
/// The one thing an <c>info mtree</c> listing cannot say about render order (MtreeTreeText's remarks; docs/semantics.md
/// 2.1): QEMU renders siblings of equal priority newest first but prints them by address, so for siblings of equal
/// priority that overlap at different addresses (two BARs programmed onto each other) the text does not carry which one
/// was placed last, and the tree read from it guesses. A judge of QEMU's output may try each order of such a group and
/// take the one whose render is QEMU's; everything else in the tree stays as read.
/// </summary>
public static class SiblingOrder
{
    /// <summary>At most this many orders are tried for a tree (all groups together); a tree with more keeps its
    /// order as read.</summary>
    public const int MaxOrders = 120;

    /// <summary>The groups whose order the text does not carry: per parent, enabled siblings of equal priority
    /// whose spans overlap at different addresses (connected by overlap), each in render order as read.</summary>
    /// <param name="tree">A tree read from <c>info mtree</c>.</param>
    /// <returns>The groups, each with its parent's name.</returns>
    public static ImmutableArray<(string Parent, ImmutableArray<Subregion> Members)> AmbiguousGroups(RegionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var groups = ImmutableArray.CreateBuilder<(string, ImmutableArray<Subregion>)>();
        foreach (var parent in tree.Regions)
        {
            foreach (var samePriority in parent.Subregions.Where(s => tree[s.Name].Enabled).GroupBy(s => s.Priority))
            {
                var members = samePriority.ToList();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var start in members)
                {
                    if (!seen.Add(start.Name))
                    {
                        continue;
                    }

                    // Grow one group by overlap at different addresses.
                    var group = new List<Subregion> { start };
                    for (int i = 0; i < group.Count; i++)
                    {
                        foreach (var other in members.Where(m => !seen.Contains(m.Name) && m.Address != group[i].Address && Overlap(tree, m, group[i])))
                        {
                            seen.Add(other.Name);
                            group.Add(other);
                        }
                    }

                    if (group.Count > 1)
                    {
                        groups.Add((parent.Name, [.. members.Where(group.Contains)]));
                    }
                }
            }
        }

        return groups.ToImmutable();
    }

    /// <summary>The tree as read, then the same tree with the ambiguous groups in every other order (none when there
    /// are more than <see cref="MaxOrders"/> orders).</summary>
    /// <param name="tree">A tree read from <c>info mtree</c>.</param>
    /// <returns>The trees, the one as read first.</returns>
    public static IEnumerable<RegionTree> Orders(RegionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        yield return tree;
        var groups = AmbiguousGroups(tree);
        long count = groups.Aggregate(1L, (n, g) => n * Factorial(g.Members.Length));
        if (groups.IsEmpty || count > MaxOrders)
        {
            yield break;
        }

        IEnumerable<ImmutableList<ImmutableArray<Subregion>>> choices = [[]];
        foreach (var group in groups)
        {
            var permutations = Permutations(group.Members).ToList();
            choices = choices.SelectMany(c => permutations.Select(p => c.Add(p)));
        }

        foreach (var choice in choices.Skip(1))
        {
            var reordered = tree;
            for (int g = 0; g < groups.Length; g++)
            {
                reordered = Place(reordered, groups[g].Parent, choice[g]);
            }

            yield return reordered;
        }
    }

    // Removes the group and places it again oldest first, so that the first of renderOrder is the newest and renders first.
    private static RegionTree Place(RegionTree tree, string parent, ImmutableArray<Subregion> renderOrder)
    {
        foreach (var s in renderOrder)
        {
            tree = tree.RemoveSubregion(s.Name);
        }

        for (int i = renderOrder.Length - 1; i >= 0; i--)
        {
            tree = tree.AddSubregion(parent, renderOrder[i].Name, renderOrder[i].Address, renderOrder[i].Priority);
        }

        return tree;
    }

    private static bool Overlap(RegionTree tree, Subregion a, Subregion b) =>
        (UInt128)a.Address < b.Address + tree[b.Name].Size && (UInt128)b.Address < a.Address + tree[a.Name].Size;

    private static long Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

    private static IEnumerable<ImmutableArray<Subregion>> Permutations(ImmutableArray<Subregion> items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (int i = 0; i < items.Length; i++)
        {
            foreach (var rest in Permutations(items.RemoveAt(i)))
            {
                yield return rest.Insert(0, items[i]);
            }
        }
    }
}
