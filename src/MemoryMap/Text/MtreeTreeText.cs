using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// Reads the tree listing of QEMU's <c>info mtree</c> (<c>mtree_info_as</c> and <c>mtree_print_mr</c> in
/// <c>system/memory.c</c>) into region trees.
/// </summary>
/// <remarks>
/// <para>The format: blocks separated by blank lines. An address-space block is one or more
/// <c>address-space: NAME</c> lines (every address space with that root) and the root's tree; a
/// <c>memory-region: NAME</c> block prints an alias target's tree. Each region is one line, indented two spaces
/// per level (the root at level 1):</para>
/// <code>
/// address-space: memory
///   0000000000000000-ffffffffffffffff (prio 0, i/o): system
///     0000000000000000-000000001fffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-000000001fffffff
///     00000000000c0000-00000000000c3fff (prio 1, ram): alias pam-rom @pc.ram 00000000000c0000-00000000000c3fff
///
/// memory-region: pc.ram
///   0000000000000000-000000001fffffff (prio 0, ram): pc.ram
/// </code>
/// <list type="bullet">
/// <item><c>START-END</c> are absolute (the parent's start plus the region's address); the size is
/// <c>END - START + 1</c> modulo 2^64, so a whole-space region (<c>0-ffffffffffffffff</c>) is 2^64 long. A
/// <c>[DETECTED OVERFLOW!]</c> prefix (a wrapped end) is accepted. A region of size 0 prints like one of size 1
/// and reads as size 1.</item>
/// <item>The kind is <c>[nv-]ram|rom|romd|ramd|i/o</c>, or old QEMU's <c>RW</c>, <c>R-</c>, <c>-W</c>, <c>--</c>;
/// an alias prints its <em>target's</em> type, and <c>i/o</c> covers containers too, so two facts come from
/// <see cref="MtreeTreeHints"/> (see there).</item>
/// <item>An alias line ends in <c>@TARGET TSTART-TEND</c>: the target's name and the window shown, whose
/// start is the alias offset. The alias name ends at the first <c> @</c>, the target name at the last space.</item>
/// <item><c>[disabled]</c> after the name marks a disabled region; QEMU prints disabled regions only with
/// <c>-D</c>. Without it, a disabled region's line is missing and its subregions appear one level deeper than
/// their parent's children: the reader puts a disabled container named <c>(disabled)</c> in the gap (a
/// disabled leaf simply does not appear; neither renders anything).</item>
/// <item>Owner annotations (<c>-o</c>) after the name are ignored.</item>
/// </list>
/// <para>Names are made unique as <see cref="MtreeTreeSpace"/> describes, and each address space's tree holds
/// every alias target it reaches as one region (see <see cref="MtreeTreeBuilder"/>).</para>
/// </remarks>
public static class MtreeTreeText
{
    /// <summary>Reads a whole <c>info mtree</c> tree listing.</summary>
    /// <param name="text">The text; <c>\n</c> or <c>\r\n</c> line ends.</param>
    /// <param name="hints">What the text does not say; <see cref="MtreeTreeHints.None"/> when null.</param>
    /// <returns>The dump.</returns>
    /// <exception cref="MtreeFormatException">A line is malformed, or an alias target is missing, ambiguous or
    /// cyclic; the message names the line number(s) and what was expected.</exception>
    public static MtreeTreeDump Read(string text, MtreeTreeHints? hints = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return MtreeTreeBuilder.Build(MtreeTreeParser.Parse(text), hints ?? MtreeTreeHints.None);
    }

    /// <summary>Writes <paramref name="tree"/> as QEMU's <c>info mtree -D</c> prints one address space rooted at it: the
    /// root's tree (children by address, then priority, with <c>[disabled]</c> on disabled regions), then a
    /// <c>memory-region:</c> section per alias target in the order QEMU's printing reaches them.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="addressSpace">The address space's name for the header.</param>
    /// <returns>The text; <see cref="Read"/> with <see cref="HintsFor"/> reads it back into a tree that renders the
    /// same, except where the text cannot carry the order (overlapping siblings of equal priority at different
    /// addresses print by address, not in render order) and for the flags QEMU does not print (unmergeable, dirty
    /// logging; an IOMMU region and a ROM device out of ROM mode print as <c>i/o</c>).</returns>
    public static string Write(RegionTree tree, string addressSpace)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentException.ThrowIfNullOrEmpty(addressSpace);
        return MtreeTreeWriter.Write(tree, addressSpace);
    }

    /// <summary>The hints <see cref="Read"/> needs for the text <see cref="Write"/> prints of <paramref name="tree"/>:
    /// which <c>i/o</c> lines are empty containers or MMIO with subregions, and which aliases are read-only.</summary>
    /// <param name="tree">The tree.</param>
    /// <returns>The hints.</returns>
    public static MtreeTreeHints HintsFor(RegionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return MtreeTreeWriter.HintsFor(tree);
    }
}
