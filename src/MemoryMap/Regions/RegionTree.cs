using System.Collections.Immutable;
using System.Text;
using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Regions;

/// <summary>
/// An immutable tree of memory regions with one root (QEMU's region graph under an address space).
/// Regions are kept by name; subregion placements and alias targets refer to regions by name, so a
/// change to one region is a change to one dictionary entry and every member that changes something
/// returns a new tree (and returns this tree when nothing changes).
/// </summary>
/// <remarks>
/// <para>Invariants: every name a placement or alias refers to is defined; a region is placed in at most
/// one parent; the root is never placed. A placement or alias cycle is reported by <see cref="Render"/>.</para>
/// <para>Thread-safe. Changes cost O(log n) plus the size of the touched parent's placement list.</para>
/// </remarks>
public sealed class RegionTree
{
    private readonly ImmutableDictionary<string, MemoryRegion> _regions;
    private readonly ImmutableDictionary<string, string> _parents;
    private readonly long _nextSequence;

    private RegionTree(string root, ImmutableDictionary<string, MemoryRegion> regions, ImmutableDictionary<string, string> parents, long nextSequence)
    {
        Root = root;
        _regions = regions;
        _parents = parents;
        _nextSequence = nextSequence;
    }

    /// <summary>A tree holding only <paramref name="root"/>, which must have no subregions yet.</summary>
    /// <param name="root">The root region (usually a 2^64 container).</param>
    /// <returns>The tree.</returns>
    /// <exception cref="ArgumentException">The root has subregions or is an alias.</exception>
    public static RegionTree Create(MemoryRegion root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!root.Subregions.IsEmpty)
        {
            throw new ArgumentException($"root region '{root.Name}' should have no subregions yet; place them with AddSubregion", nameof(root));
        }

        if (root.Kind == RegionKind.Alias)
        {
            throw new ArgumentException($"root region '{root.Name}' should not be an alias: an alias root has no target yet", nameof(root));
        }
        return new RegionTree(root.Name, ImmutableDictionary.Create<string, MemoryRegion>(StringComparer.Ordinal).Add(root.Name, root),
            ImmutableDictionary.Create<string, string>(StringComparer.Ordinal), 0);
    }

    /// <summary>How many levels a tree may nest, counting placements and alias hops from the root along any path
    /// (docs/semantics.md 2.1, "nesting limit"). QEMU has no limit and recurses on its C stack; a real machine nests under
    /// twenty. The limit keeps every walk of a tree (render, print, the oracle's painting) within a thread's stack, so no
    /// input can crash the process: deeper placements are refused and deeper alias chains are refused by render.</summary>
    public const int MaxNesting = 1024;

    /// <summary>The root region's name.</summary>
    public string Root { get; }

    /// <summary>Number of regions defined.</summary>
    public int Count => _regions.Count;

    /// <summary>Every region, in no particular order.</summary>
    public IEnumerable<MemoryRegion> Regions => _regions.Values;

    /// <summary>The region named <paramref name="name"/>.</summary>
    /// <param name="name">A defined name.</param>
    /// <exception cref="KeyNotFoundException">No region has that name.</exception>
    public MemoryRegion this[string name] =>
        _regions.TryGetValue(name, out var region) ? region : throw new KeyNotFoundException($"no region named '{name}' in the tree");

    /// <summary>Whether a region of that name is defined.</summary>
    /// <param name="name">A name.</param>
    /// <returns>Whether it is defined.</returns>
    public bool Contains(string name) => _regions.ContainsKey(name);

    /// <summary>The parent a region is placed in, if any.</summary>
    /// <param name="name">A region name.</param>
    /// <returns>The parent's name or null.</returns>
    public string? ParentOf(string name) => _parents.TryGetValue(name, out var parent) ? parent : null;

    /// <summary>Defines a region without placing it (an alias target, or a child to place later).</summary>
    /// <param name="region">A region with no subregions yet whose alias target, if any, is defined.</param>
    /// <returns>The new tree.</returns>
    /// <exception cref="ArgumentException">The name is taken, the alias target is not defined, or a region that is not an alias has an alias target or offset.</exception>
    public RegionTree Define(MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (_regions.ContainsKey(region.Name))
        {
            throw new ArgumentException($"a region named '{region.Name}' is already defined", nameof(region));
        }

        if (!region.Subregions.IsEmpty)
        {
            throw new ArgumentException($"region '{region.Name}' should be defined without subregions; place them with AddSubregion", nameof(region));
        }

        CheckAliasTarget(region);
        CheckAliasFields(region, nameof(region));
        return new RegionTree(Root, _regions.Add(region.Name, region), _parents, _nextSequence);
    }

    /// <summary>
    /// Places <paramref name="child"/> inside <paramref name="parent"/> at <paramref name="address"/>. Among
    /// siblings of equal priority the most recently placed renders first, as in QEMU.
    /// </summary>
    /// <param name="parent">A defined region (not an alias).</param>
    /// <param name="child">A defined region not yet placed anywhere, not the root.</param>
    /// <param name="address">Offset inside the parent.</param>
    /// <param name="priority">Higher renders first.</param>
    /// <returns>The new tree.</returns>
    /// <exception cref="ArgumentException">A name is undefined, the child is already placed or is the root, the parent is
    /// an alias, the parent is the child or inside it (a cycle), or the placement would nest deeper than <see cref="MaxNesting"/>.</exception>
    public RegionTree AddSubregion(string parent, string child, ulong address, int priority = 0)
    {
        var parentRegion = Defined(parent, nameof(parent));
        _ = Defined(child, nameof(child));
        if (parentRegion.Kind == RegionKind.Alias)
        {
            throw new ArgumentException($"alias '{parent}' cannot hold subregions", nameof(parent));
        }

        if (child == Root || _parents.ContainsKey(child))
        {
            throw new ArgumentException($"region '{child}' is already placed (in '{ParentOf(child) ?? "(root)"}')", nameof(child));
        }

        int above = 0;
        for (string? up = parent; up is not null; up = ParentOf(up), above++)
        {
            if (up == child)
            {
                throw new ArgumentException(child == parent
                    ? $"region '{child}' cannot be placed inside itself"
                    : $"region '{child}' cannot be placed in '{parent}', which is inside it; a region tree must be acyclic", nameof(parent));
            }
        }

        int depth = above + Height(child);
        if (depth > MaxNesting)
        {
            throw new ArgumentException($"placing '{child}' in '{parent}' nests regions {depth} levels deep; a region tree nests at most {MaxNesting}", nameof(child));
        }

        var placement = new Subregion(child, address, priority, _nextSequence);
        var list = parentRegion.Subregions;
        int at = 0;
        while (at < list.Length && Subregion.RenderOrder(list[at], placement) < 0)
        {
            at++;
        }

        var updated = parentRegion with { Subregions = list.Insert(at, placement) };
        // memory_region_add_subregion_overlap writes the priority into the child itself, where it outlives the placement.
        var regions = _regions.SetItem(parent, updated);
        if (regions[child].Priority != priority)
        {
            regions = regions.SetItem(child, regions[child] with { Priority = priority });
        }

        return new RegionTree(Root, regions, _parents.Add(child, parent), _nextSequence + 1);
    }

    /// <summary>Removes the placement of <paramref name="child"/>; the region stays defined and keeps its
    /// <see cref="MemoryRegion.Priority"/>, as QEMU's <c>memory_region_del_subregion</c> does.</summary>
    /// <param name="child">A placed region.</param>
    /// <returns>The new tree.</returns>
    /// <exception cref="ArgumentException">The region is not placed.</exception>
    public RegionTree RemoveSubregion(string child)
    {
        if (!_parents.TryGetValue(child, out var parent))
        {
            throw new ArgumentException($"region '{child}' is not placed in any parent", nameof(child));
        }

        var parentRegion = _regions[parent];
        var updated = parentRegion with { Subregions = parentRegion.Subregions.RemoveAll(s => s.Name == child) };
        return new RegionTree(Root, _regions.SetItem(parent, updated), _parents.Remove(child), _nextSequence);
    }

    /// <summary>Moves a placed region to a new address in its parent. Like QEMU's
    /// <c>memory_region_set_address</c> (delete, then add) the moved region becomes the most recently added.</summary>
    /// <param name="child">A placed region.</param>
    /// <param name="address">Its new offset in the parent.</param>
    /// <returns>The new tree, or this tree when the address is unchanged.</returns>
    /// <exception cref="ArgumentException">The region is not placed.</exception>
    public RegionTree Move(string child, ulong address)
    {
        var placement = PlacementOf(child);
        return placement.Address == address
            ? this
            : RemoveSubregion(child).AddSubregion(_parents[child], child, address, placement.Priority);
    }

    /// <summary>The placement of a placed region.</summary>
    /// <param name="child">A placed region.</param>
    /// <returns>Its placement.</returns>
    /// <exception cref="ArgumentException">The region is not placed.</exception>
    public Subregion PlacementOf(string child) =>
        _parents.TryGetValue(child, out var parent)
            ? _regions[parent].Subregions.First(s => s.Name == child)
            : throw new ArgumentException($"region '{child}' is not placed in any parent", nameof(child));

    /// <summary>
    /// Replaces a region's own properties (flags, size, alias target and offset) keeping its placements.
    /// Use it for QEMU's setters: <c>set_enabled</c>, <c>set_readonly</c>, <c>set_alias_offset</c>,
    /// <c>rom_device_set_romd</c>, <c>set_size</c>, dirty logging.
    /// </summary>
    /// <param name="name">A defined region.</param>
    /// <param name="change">Returns the changed region; its name and subregions must be unchanged.</param>
    /// <returns>The new tree, or this tree when the region is unchanged.</returns>
    /// <exception cref="ArgumentException">The region is undefined, or the change renamed it, changed its kind or priority (only a placement sets it), touched its subregions, or names an undefined alias target, or gave a region that is not an alias an alias offset.</exception>
    public RegionTree Update(string name, Func<MemoryRegion, MemoryRegion> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var before = Defined(name, nameof(name));
        var after = change(before);
        if (after == before)
        {
            return this;
        }

        if (after.Name != before.Name || after.Subregions != before.Subregions || after.Kind != before.Kind || after.Priority != before.Priority)
        {
            throw new ArgumentException($"an update of '{name}' may not change its name, kind, priority or subregions", nameof(change));
        }

        CheckAliasTarget(after);
        CheckAliasFields(after, nameof(change));
        return new RegionTree(Root, _regions.SetItem(name, after), _parents, _nextSequence);
    }

    /// <summary>Renders and simplifies, as QEMU always does (<c>generate_memory_topology</c>).</summary>
    /// <returns>The simplified view.</returns>
    /// <exception cref="InvalidOperationException">Placements or aliases form a cycle.</exception>
    public FlatView Render() => RegionRenderer.Render(this).Simplify();

    /// <summary>Renders without simplifying: one range per piece of each terminal region's visible part.</summary>
    /// <returns>The unsimplified view.</returns>
    /// <exception cref="InvalidOperationException">Placements or aliases form a cycle.</exception>
    public FlatView RenderUnsimplified() => RegionRenderer.Render(this);

    /// <summary>An indented listing like <c>info mtree</c>'s tree form, children in render order.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(Root, 0, 0, new HashSet<string>(StringComparer.Ordinal));
        return text.ToString().TrimEnd();

        void Append(string name, ulong address, int depth, HashSet<string> path)
        {
            text.Append(' ', depth * 2).Append(System.Globalization.CultureInfo.InvariantCulture, $"0x{address:x}: ").Append(_regions[name]).AppendLine();
            if (!path.Add(name))
            {
                return;
            }

            foreach (var s in _regions[name].Subregions)
            {
                text.Append(' ', (depth + 1) * 2).Append(System.Globalization.CultureInfo.InvariantCulture, $"prio {s.Priority}: ");
                Append(s.Name, s.Address, depth + 1, path);
            }

            path.Remove(name);
        }
    }

    // Levels of placements from the region down to its deepest descendant (0 for a leaf); bounded by MaxNesting,
    // which every placement keeps.
    private int Height(string name)
    {
        int height = 0;
        foreach (var s in _regions[name].Subregions)
        {
            height = Math.Max(height, 1 + Height(s.Name));
        }

        return height;
    }

    // An argument naming a region must name a defined one; the indexer's KeyNotFoundException is for lookups.
    private MemoryRegion Defined(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        return _regions.TryGetValue(name, out var region)
            ? region
            : throw new ArgumentException($"no region named '{name}' is defined in the tree", paramName);
    }

    // QEMU's memory_region_set_alias_offset asserts mr->alias: an offset on anything else would be silently ignored.
    private static void CheckAliasFields(MemoryRegion region, string paramName)
    {
        if (region.Kind != RegionKind.Alias && (region.AliasOffset != 0 || region.AliasTarget is not null))
        {
            throw new ArgumentException($"region '{region.Name}' is {region.Kind.ToString().ToLowerInvariant()}, not an alias: it has no alias target or offset", paramName);
        }
    }

    private void CheckAliasTarget(MemoryRegion region)
    {
        if (region.Kind == RegionKind.Alias && (region.AliasTarget is null || !_regions.ContainsKey(region.AliasTarget)))
        {
            throw new ArgumentException($"alias '{region.Name}' targets '{region.AliasTarget}', which is not defined", nameof(region));
        }
    }
}
