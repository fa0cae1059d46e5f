using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// One tree of <c>info mtree</c>: the address spaces printed above it and the region tree read from it, with
/// the alias targets it reaches (from the <c>memory-region:</c> sections) defined in the same tree.
/// </summary>
/// <remarks>
/// QEMU region names are not unique (a pc has thirteen <c>pam-pci</c> aliases, two <c>pic</c>s, four
/// <c>ide</c>s), a <see cref="RegionTree"/>'s are. The first region printed with a name keeps it; later ones
/// get <c>NAME#2</c>, <c>NAME#3</c>, ... in printed order (the address-space tree first, then the
/// <c>memory-region:</c> sections it pulls in). <see cref="PrintedName"/> and <see cref="ToPrinted"/> map back,
/// so a render compares with QEMU's flat view, which only carries printed names.
/// </remarks>
public sealed class MtreeTreeSpace
{
    private readonly ImmutableDictionary<string, string> _printedNames;

    internal MtreeTreeSpace(
        ImmutableArray<string> names, RegionTree tree, ImmutableDictionary<string, string> printedNames, int headerLine, bool isAddressSpace, ImmutableArray<string> assumptions)
    {
        IsAddressSpace = isAddressSpace;
        Assumptions = assumptions;
        Names = names;
        Tree = tree;
        _printedNames = printedNames;
        HeaderLine = headerLine;
    }

    /// <summary>The address spaces printed above the tree (QEMU groups those sharing a root), in printed order; for a
    /// <c>memory-region:</c> section, the region's name alone.</summary>
    public ImmutableArray<string> Names { get; }

    /// <summary>Whether the tree is an address space's (<c>address-space:</c>) rather than a <c>memory-region:</c> section.</summary>
    public bool IsAddressSpace { get; }

    /// <summary>What the reader had to assume because the text does not say it (an old <c>RW</c> leaf's kind), one
    /// line each naming the line and the choice; empty when the text said everything.</summary>
    public ImmutableArray<string> Assumptions { get; }

    /// <summary>The region tree: rooted at the address space's root region, alias targets defined.</summary>
    public RegionTree Tree { get; }

    /// <summary>The 1-based line of the first <c>address-space:</c> header.</summary>
    public int HeaderLine { get; }

    /// <summary>The name QEMU printed for a region of <see cref="Tree"/>.</summary>
    /// <param name="regionName">A region name of <see cref="Tree"/>.</param>
    /// <returns>The printed name (the same string unless a suffix was added).</returns>
    public string PrintedName(string regionName) => _printedNames.GetValueOrDefault(regionName, regionName);

    /// <summary>A view rendered from <see cref="Tree"/> with region names as QEMU prints them.</summary>
    /// <param name="view">A view of <see cref="Tree"/>.</param>
    /// <returns>The view with printed names.</returns>
    public FlatView ToPrinted(FlatView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return FlatView.Create(view.Select(r => r with { Region = PrintedName(r.Region) }));
    }

    /// <summary>
    /// What QEMU's <c>info mtree -f</c> prints for this tree: its address spaces (none for a <c>memory-region:</c>
    /// section), the root's printed name (and the region it aliases, when the root is an alias) on each of their
    /// lines, the FlatView's own root (<see cref="FlatViewRoot"/>; <c>(none)</c> when nothing renders) and the
    /// rendered view, normalized as the flat text carries it (<see cref="MtreeFlatText.Normalize(FlatView)"/>) and
    /// with printed names.
    /// </summary>
    /// <returns>The section; its view equals the one QEMU printed with this tree when the reader's hints are right.</returns>
    public MtreeFlatSection ToFlatSection()
    {
        var root = Tree[Tree.Root];
        string rootName = PrintedName(root.Name);
        string? rootAlias = root.Kind == RegionKind.Alias ? PrintedName(root.AliasTarget!) : null;
        var spaces = IsAddressSpace ? Names.Select(n => new MtreeAddressSpace(n, rootName, rootAlias)) : [];
        string viewRoot = FlatViewRoot() is { } r ? PrintedName(r) : MtreeSyntax.NoRoot;
        return new MtreeFlatSection(spaces, viewRoot, ToPrinted(MtreeFlatText.Normalize(Tree.Render())));
    }

    /// <summary>
    /// The region QEMU renders this tree's FlatView from, and shares the FlatView by (<c>memory_region_get_flatview_root</c>
    /// in <c>system/memory.c</c>): from the root, an enabled alias that shows its whole target from offset 0 is
    /// replaced by the target, and an enabled container whose only enabled subregion sits at 0 and is no larger is
    /// replaced by that subregion. A disabled region, or a container with no enabled subregion, renders nothing:
    /// null (QEMU prints <c>Root memory region: (none)</c>).
    /// </summary>
    /// <returns>The region's name in <see cref="Tree"/>, or null when nothing renders.</returns>
    public string? FlatViewRoot()
    {
        var region = Tree[Tree.Root];
        while (region.Enabled)
        {
            if (region.Kind == RegionKind.Alias)
            {
                var target = Tree[region.AliasTarget!];
                if (region.AliasOffset != 0 || region.Size < target.Size)
                {
                    return region.Name;
                }

                region = target;
                continue;
            }

            if (region.Terminates)
            {
                return region.Name;
            }

            var enabled = region.Subregions.Where(s => Tree[s.Name].Enabled).Take(2).ToList();
            if (enabled.Count == 0)
            {
                return null;
            }

            if (enabled.Count > 1 || enabled[0].Address != 0 || Tree[enabled[0].Name].Size > region.Size)
            {
                return region.Name;
            }

            region = Tree[enabled[0].Name];
        }

        return null;
    }
}
