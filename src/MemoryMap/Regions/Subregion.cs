namespace Verify.MemoryMap.Regions;

/// <summary>
/// The placement of a child region inside its parent: address, priority and the order in which it
/// was added (among equal priorities the most recently added one renders first, as in QEMU's
/// <c>memory_region_update_container_subregions</c>).
/// </summary>
/// <param name="Name">The child region's name.</param>
/// <param name="Address">Offset of the child inside the parent.</param>
/// <param name="Priority">Higher renders first.</param>
/// <param name="Sequence">Tree-wide insertion counter; a higher value was added later.</param>
public readonly record struct Subregion(string Name, ulong Address, int Priority, long Sequence)
{
    /// <summary>The placed region's name; empty in <c>default</c>.</summary>
    public string Name { get => field ?? ""; init => field = value; } = Name;

    /// <summary>QEMU's sibling order: higher priority first, then the most recently added first.</summary>
    /// <param name="a">A placement.</param>
    /// <param name="b">A placement.</param>
    /// <returns>Negative when <paramref name="a"/> renders before <paramref name="b"/>.</returns>
    public static int RenderOrder(Subregion a, Subregion b)
    {
        int byPriority = b.Priority.CompareTo(a.Priority);
        return byPriority != 0 ? byPriority : b.Sequence.CompareTo(a.Sequence);
    }
}
