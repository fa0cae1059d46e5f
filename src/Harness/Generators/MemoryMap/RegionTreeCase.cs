using System.Collections.Immutable;
using System.Text;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>
/// A generated region tree as plain data: a grid, regions in definition order (an alias's target is defined
/// before it) and placements in the order they are added (later placements win priority ties). The root is
/// always a whole-space container named <c>root</c>. Prints as a script; shrinks by <see cref="Shrink"/>.
/// </summary>
/// <param name="Grid">Where the case lives.</param>
/// <param name="Regions">Regions other than the root, in definition order.</param>
/// <param name="Placements">Placements in the order they are added.</param>
public sealed record RegionTreeCase(Grid Grid, ImmutableArray<RegionSpec> Regions, ImmutableArray<PlacementSpec> Placements)
{
    /// <summary>The root's name.</summary>
    public const string RootName = "root";

    /// <summary>Builds the tree; null when the data does not form a valid acyclic tree.</summary>
    /// <returns>The tree or null.</returns>
    public RegionTree? TryBuild()
    {
        if (HasCycle())
        {
            return null;
        }

        var whole = Regions.Where(IsWholeSpace).Select(r => r.Name).Append(RootName).ToHashSet(StringComparer.Ordinal);
        var tree = RegionTree.Create(MemoryRegion.Container(RootName, AddressSpace.End));
        foreach (var r in Regions)
        {
            if (tree.Contains(r.Name) || (r.Kind == RegionKind.Alias && (r.AliasTarget is null || !tree.Contains(r.AliasTarget))))
            {
                return null;
            }

            tree = tree.Define(r.Build(Grid, r.AliasTarget is not null && whole.Contains(r.AliasTarget)));
        }

        foreach (var p in Placements)
        {
            if (!tree.Contains(p.Parent) || !tree.Contains(p.Child) || p.Child == RootName || tree.ParentOf(p.Child) is not null
                || tree[p.Parent].Kind == RegionKind.Alias)
            {
                return null;
            }

            ulong address = whole.Contains(p.Child) ? 0 : whole.Contains(p.Parent) ? Grid.At(p.AddressUnits) : p.AddressUnits * Grid.Unit;
            tree = tree.AddSubregion(p.Parent, p.Child, address, p.Priority);
        }

        return tree;
    }

    /// <summary>Whether a region is 2^64 long (by flag, or because its units add up to 2^64): such a region is
    /// always placed at 0, and an alias into it counts its offset from the window start.</summary>
    /// <param name="region">A region of this case.</param>
    /// <returns>Whether it spans the whole space.</returns>
    public bool IsWholeSpace(RegionSpec region)
    {
        ArgumentNullException.ThrowIfNull(region);
        return region.WholeSpace || (UInt128)region.SizeUnits * Grid.Unit == AddressSpace.End;
    }

    /// <summary>Builds the tree.</summary>
    /// <returns>The tree.</returns>
    /// <exception cref="InvalidOperationException">The case is not a valid tree (a generator bug).</exception>
    public RegionTree Build() => TryBuild() ?? throw new InvalidOperationException($"generated case is not a valid tree:\n{this}");

    /// <summary>Smaller variants, simplest first: fewer regions, fewer placements, flags cleared, numbers nearer 0.</summary>
    /// <returns>Candidates that still build.</returns>
    public IEnumerable<RegionTreeCase> Shrink() => Candidates().Where(c => c.TryBuild() is not null);

    private IEnumerable<RegionTreeCase> Candidates()
    {
        foreach (var r in Regions)
        {
            yield return WithoutRegion(r.Name);
        }

        for (int i = 0; i < Placements.Length; i++)
        {
            yield return this with { Placements = Placements.RemoveAt(i) };
        }

        if (Grid.WindowStart != 0)
        {
            yield return this with { Grid = Grid with { WindowStart = 0 } };
        }

        for (int i = 0; i < Regions.Length; i++)
        {
            foreach (var simpler in Simpler(Regions[i]))
            {
                yield return this with { Regions = Regions.SetItem(i, simpler) };
            }
        }

        for (int i = 0; i < Placements.Length; i++)
        {
            var p = Placements[i];
            if (p.Priority != 0)
            {
                yield return this with { Placements = Placements.SetItem(i, p with { Priority = p.Priority / 2 }) };
            }

            if (p.AddressUnits != 0)
            {
                yield return this with { Placements = Placements.SetItem(i, p with { AddressUnits = p.AddressUnits / 2 }) };
                yield return this with { Placements = Placements.SetItem(i, p with { AddressUnits = p.AddressUnits - 1 }) };
            }
        }
    }

    private static IEnumerable<RegionSpec> Simpler(RegionSpec r)
    {
        if (!r.Enabled) { yield return r with { Enabled = true }; }
        if (r.ReadOnly && r.Kind != RegionKind.Rom) { yield return r with { ReadOnly = false }; }
        if (r.NonVolatile) { yield return r with { NonVolatile = false }; }
        if (r.Unmergeable) { yield return r with { Unmergeable = false }; }
        if (r.DirtyLogMask != 0) { yield return r with { DirtyLogMask = 0 }; }
        if (!r.RomdMode) { yield return r with { RomdMode = true }; }
        if (r.WholeSpace) { yield return r with { WholeSpace = false, SizeUnits = Math.Max(1, r.SizeUnits) }; }
        if (!r.WholeSpace && r.SizeUnits > 1)
        {
            yield return r with { SizeUnits = r.SizeUnits / 2 };
            yield return r with { SizeUnits = r.SizeUnits - 1 };
        }

        if (r.AliasOffsetUnits != 0) { yield return r with { AliasOffsetUnits = r.AliasOffsetUnits / 2 }; }
        if (r.Kind is RegionKind.RomDevice or RegionKind.RamDevice or RegionKind.Io or RegionKind.Iommu or RegionKind.Rom)
        {
            yield return r with { Kind = RegionKind.Ram, RomdMode = true };
        }
    }

    private RegionTreeCase WithoutRegion(string name)
    {
        var removed = new HashSet<string>(StringComparer.Ordinal) { name };
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var r in Regions)
            {
                if (r.AliasTarget is { } t && removed.Contains(t) && removed.Add(r.Name))
                {
                    grew = true;
                }
            }
        }

        return this with
        {
            Regions = Regions.RemoveAll(r => removed.Contains(r.Name)),
            Placements = Placements.RemoveAll(p => removed.Contains(p.Parent) || removed.Contains(p.Child)),
        };
    }

    private bool HasCycle()
    {
        // Edges: parent -> child placements, alias -> target. A cycle makes render recurse forever.
        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var p in Placements)
        {
            (edges.TryGetValue(p.Parent, out var l) ? l : edges[p.Parent] = []).Add(p.Child);
        }

        foreach (var r in Regions.Where(r => r.AliasTarget is not null))
        {
            (edges.TryGetValue(r.Name, out var l) ? l : edges[r.Name] = []).Add(r.AliasTarget!);
        }

        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        bool Visit(string n)
        {
            if (state.TryGetValue(n, out int s))
            {
                return s == 1;
            }

            state[n] = 1;
            foreach (var m in edges.GetValueOrDefault(n) ?? [])
            {
                if (Visit(m))
                {
                    return true;
                }
            }

            state[n] = 2;
            return false;
        }

        return edges.Keys.ToList().Any(Visit);
    }

    /// <summary>The case as a script: grid, definitions, placements.</summary>
    /// <returns>One statement per line.</returns>
    public override string ToString()
    {
        var text = new StringBuilder().AppendLine(Grid.ToString());
        foreach (var r in Regions)
        {
            text.AppendLine(r.ToString());
        }

        foreach (var p in Placements)
        {
            text.AppendLine(p.ToString());
        }

        return text.ToString().TrimEnd();
    }
}
