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

    internal MtreeTreeSpace(ImmutableArray<string> names, RegionTree tree, ImmutableDictionary<string, string> printedNames, int headerLine)
    {
        Names = names;
        Tree = tree;
        _printedNames = printedNames;
        HeaderLine = headerLine;
    }

    /// <summary>The address spaces printed above the tree (QEMU groups those sharing a root), in printed order.</summary>
    public ImmutableArray<string> Names { get; }

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
}
