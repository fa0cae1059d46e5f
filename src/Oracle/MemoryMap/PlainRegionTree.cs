using Verify.MemoryMap.Regions;

namespace Verify.Oracle.MemoryMap;

/// <summary>
/// The oracle's own region tree (docs/semantics.md 2.1): regions by name and a flat list of placements, each stamped with
/// the order it was made in, edited the way QEMU's memory API describes the edits and nothing more. The render
/// oracle paints this tree, never the model's <see cref="RegionTree"/>, so a model edit that goes wrong (a move
/// that keeps its old stamp, an update that loses a flag) shows as a difference instead of being painted too.
/// </summary>
/// <remarks>Mutable and slow on purpose: a placement lookup scans the list. The regions' own
/// <see cref="MemoryRegion.Subregions"/> are ignored; placements live here.</remarks>
public sealed class PlainRegionTree
{
    private readonly Dictionary<string, MemoryRegion> _regions = new(StringComparer.Ordinal);
    private readonly List<PlainPlacement> _placements = [];
    private readonly Dictionary<string, int> _lastPriority = new(StringComparer.Ordinal);
    private long _stamp;

    /// <summary>A tree holding only <paramref name="root"/>.</summary>
    /// <param name="root">The root region.</param>
    public PlainRegionTree(MemoryRegion root)
    {
        ArgumentNullException.ThrowIfNull(root);
        Root = root.Name;
        _regions.Add(root.Name, root);
    }

    /// <summary>The root's name.</summary>
    public string Root { get; }

    /// <summary>Every region defined.</summary>
    public IEnumerable<MemoryRegion> Regions => _regions.Values;

    /// <summary>Every placement, oldest first.</summary>
    public IReadOnlyList<PlainPlacement> Placements => _placements;

    /// <summary>The region named <paramref name="name"/>.</summary>
    /// <param name="name">A defined name.</param>
    /// <exception cref="InvalidOperationException">No region has that name.</exception>
    public MemoryRegion this[string name] =>
        _regions.TryGetValue(name, out var region) ? region : throw new InvalidOperationException($"the oracle's tree defines no region '{name}'");

    /// <summary><c>memory_region_init_*</c>: a new region, placed nowhere.</summary>
    /// <param name="region">The region.</param>
    /// <exception cref="InvalidOperationException">The name is taken.</exception>
    public void Define(MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (!_regions.TryAdd(region.Name, region))
        {
            throw new InvalidOperationException($"the oracle's tree already defines '{region.Name}'");
        }
    }

    /// <summary><c>memory_region_add_subregion_overlap</c>: the newest placement wins ties of priority.</summary>
    /// <param name="parent">The parent's name.</param>
    /// <param name="child">The child's name.</param>
    /// <param name="address">Offset in the parent.</param>
    /// <param name="priority">Priority among siblings.</param>
    /// <exception cref="InvalidOperationException">A name is undefined or the child is placed already.</exception>
    public void Place(string parent, string child, ulong address, int priority)
    {
        _ = this[parent];
        _ = this[child];
        if (child == Root || _placements.Any(p => p.Child == child))
        {
            throw new InvalidOperationException($"the oracle's tree has '{child}' placed already");
        }

        // A region inside itself would make every walk endless; the model refuses it when placing too.
        for (string? up = parent; up is not null; up = _placements.FirstOrDefault(p => p.Child == up)?.Parent)
        {
            if (up == child)
            {
                throw new InvalidOperationException($"the oracle's tree would have '{child}' inside itself");
            }
        }

        _placements.Add(new PlainPlacement(child, parent, address, priority, _stamp++));
        _lastPriority[child] = priority;
    }

    /// <summary>QEMU's <c>mr-&gt;priority</c> (docs/semantics.md 2.1, "a region's own priority"): what the latest
    /// placement gave it, which removing it does not undo; before any placement, what it was defined with.</summary>
    /// <param name="name">A defined name.</param>
    /// <returns>The priority.</returns>
    public int PriorityOf(string name) => _lastPriority.TryGetValue(name, out int priority) ? priority : this[name].Priority;

    /// <summary><c>memory_region_del_subregion</c>.</summary>
    /// <param name="child">A placed region.</param>
    /// <exception cref="InvalidOperationException">It is not placed.</exception>
    public void Unplace(string child)
    {
        if (_placements.RemoveAll(p => p.Child == child) == 0)
        {
            throw new InvalidOperationException($"the oracle's tree has '{child}' placed nowhere");
        }
    }

    /// <summary><c>memory_region_set_address</c>: QEMU deletes the placement and adds it again, so the moved region
    /// becomes the newest among its siblings; moving to the same address changes nothing.</summary>
    /// <param name="child">A placed region.</param>
    /// <param name="address">Its new offset.</param>
    public void Move(string child, ulong address)
    {
        var placement = PlacementOf(child);
        if (placement.Address != address)
        {
            Unplace(child);
            Place(placement.Parent, child, address, placement.Priority);
        }
    }

    /// <summary>A setter (<c>set_enabled</c>, <c>set_readonly</c>, <c>set_alias_offset</c>, ...): the region's own
    /// fields replaced, its placements kept.</summary>
    /// <param name="region">The region as it is now, same name.</param>
    public void Update(MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        _ = this[region.Name];
        _regions[region.Name] = region;
    }

    /// <summary>The placement of a placed region.</summary>
    /// <param name="child">Its name.</param>
    /// <returns>The placement.</returns>
    /// <exception cref="InvalidOperationException">It is not placed.</exception>
    public PlainPlacement PlacementOf(string child) =>
        _placements.FirstOrDefault(p => p.Child == child) is { } found ? found
            : throw new InvalidOperationException($"the oracle's tree has '{child}' placed nowhere");

    /// <summary>The placements inside <paramref name="parent"/>, in no particular order.</summary>
    /// <param name="parent">A region name.</param>
    /// <returns>The placements.</returns>
    public IEnumerable<PlainPlacement> Children(string parent) => _placements.Where(p => p.Parent == parent);
}

/// <summary>One placement of the oracle's tree.</summary>
/// <param name="Child">The placed region.</param>
/// <param name="Parent">Where.</param>
/// <param name="Address">Offset in the parent.</param>
/// <param name="Priority">Priority among siblings.</param>
/// <param name="Stamp">When it was made; a higher stamp is newer.</param>
public sealed record PlainPlacement(string Child, string Parent, ulong Address, int Priority, long Stamp);
