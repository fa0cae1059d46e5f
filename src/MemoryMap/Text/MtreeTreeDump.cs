using System.Collections.Immutable;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The whole output of QEMU's <c>info mtree</c> (the tree form): one <see cref="MtreeTreeSpace"/> per printed
/// tree of address spaces, and one per <c>memory-region:</c> section (an alias target printed on its own), each of
/// which renders. Immutable and thread-safe.
/// </summary>
public sealed class MtreeTreeDump
{
    internal MtreeTreeDump(ImmutableArray<MtreeTreeSpace> spaces, ImmutableArray<MtreeTreeSpace> regions)
    {
        Spaces = spaces;
        Regions = regions;
        MemoryRegions = [.. regions.Select(r => r.Names[0])];
    }

    /// <summary>The address-space trees in printed order.</summary>
    public ImmutableArray<MtreeTreeSpace> Spaces { get; }

    /// <summary>The <c>memory-region:</c> sections in printed order, each as a tree rooted at that region.</summary>
    public ImmutableArray<MtreeTreeSpace> Regions { get; }

    /// <summary>The names of the <c>memory-region:</c> sections in printed order (a name printed twice, twice).</summary>
    public ImmutableArray<string> MemoryRegions { get; }

    /// <summary>The tree printed under <c>memory-region: <paramref name="name"/></c> (the first, if printed twice).</summary>
    /// <param name="name">A region name as printed.</param>
    /// <returns>The tree, or null when no such section is printed.</returns>
    public MtreeTreeSpace? FindRegion(string name) => Regions.FirstOrDefault(s => s.Names[0] == name);

    /// <summary>The tree printed under <c>address-space: <paramref name="addressSpace"/></c>.</summary>
    /// <param name="addressSpace">An address-space name.</param>
    /// <returns>The tree, or null when no section names that address space.</returns>
    public MtreeTreeSpace? Find(string addressSpace) => Spaces.FirstOrDefault(s => s.Names.Contains(addressSpace));

    /// <summary>
    /// The dump as QEMU's <c>info mtree -f</c> would print the same state: one FlatView per distinct rendered view,
    /// listing every address space that shares it (QEMU shares a FlatView between address spaces whose
    /// <see cref="MtreeTreeSpace.FlatViewRoot"/> is the same region), in the order the trees are printed and
    /// numbered from 0. QEMU itself prints the FlatViews in hash-table order, so only the order may differ.
    /// </summary>
    /// <returns>The flat dump; no section when the dump has no address space.</returns>
    public MtreeFlatDump ToFlat()
    {
        var sections = new List<MtreeFlatSection>();
        foreach (var section in Spaces.Select(s => s.ToFlatSection()))
        {
            int same = sections.FindIndex(s => s.RootRegion == section.RootRegion && s.View.Equals(section.View));
            if (same < 0)
            {
                sections.Add(section);
            }
            else
            {
                sections[same] = new MtreeFlatSection(sections[same].AddressSpaces.AddRange(section.AddressSpaces), section.RootRegion, section.View);
            }
        }

        return new MtreeFlatDump(sections);
    }
}
