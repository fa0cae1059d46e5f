namespace Verify.MemoryMap.Text;

/// <summary>
/// One printed (or implied) region of an <c>info mtree</c> tree listing, before names are made unique and
/// kinds decided: what the line says, the line it came from, and its children in printed order.
/// </summary>
/// <remarks>
/// <see cref="Start"/> is absolute, as QEMU prints them (<c>base + mr-&gt;addr</c>); a
/// child's address in its parent is the difference of the two starts. A node with <see cref="Implied"/> set
/// stands for a disabled region QEMU did not print (<c>info mtree</c> without <c>-D</c> skips the line of a
/// disabled region but still prints its subregions one level deeper).
/// </remarks>
internal sealed class MtreeTreeNode
{
    public required int LineNumber { get; init; }

    public required int Level { get; init; }

    public required string Name { get; init; }

    public required ulong Start { get; init; }

    /// <summary>Size in bytes: <c>Last - Start + 1</c> modulo 2^64, so an end of <c>ffffffffffffffff</c> from 0 is 2^64.</summary>
    public required UInt128 Size { get; init; }

    public int Priority { get; init; }

    /// <summary>The kind word without <c>nv-</c>: <c>ram</c>, <c>rom</c>, <c>romd</c>, <c>ramd</c>, <c>i/o</c>, or old QEMU's pair.</summary>
    public required string KindWord { get; init; }

    public bool NonVolatile { get; init; }

    public bool Disabled { get; init; }

    /// <summary>A disabled region whose line QEMU did not print; its name, address and size are unknown.</summary>
    public bool Implied { get; init; }

    /// <summary>Printed under an alias (directly or deeper): read for its shape, never part of the tree.</summary>
    public bool UnderAlias { get; set; }

    /// <summary>For an alias line: the printed target name.</summary>
    public string? AliasTarget { get; init; }

    /// <summary>For an alias line: the start of the target window (<c>@TARGET TSTART-TEND</c>), the alias offset.</summary>
    public ulong AliasOffset { get; init; }

    public List<MtreeTreeNode> Children { get; } = [];

    public bool IsAlias => AliasTarget is not null;

    /// <summary>The region and everything printed under it, depth first.</summary>
    public IEnumerable<MtreeTreeNode> SelfAndDescendants()
    {
        yield return this;
        foreach (var child in Children)
        {
            foreach (var node in child.SelfAndDescendants())
            {
                yield return node;
            }
        }
    }
}
