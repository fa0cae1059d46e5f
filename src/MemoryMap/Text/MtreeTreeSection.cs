namespace Verify.MemoryMap.Text;

/// <summary>
/// One blank-line separated block of <c>info mtree</c>: one or more <c>address-space: NAME</c> headers (QEMU
/// prints every address space that shares a root region above one tree) or one <c>memory-region: NAME</c>
/// header (an alias target printed on its own), then the tree.
/// </summary>
internal sealed class MtreeTreeSection
{
    public required bool IsAddressSpace { get; init; }

    /// <summary>The address-space names, or the one memory-region name.</summary>
    public List<string> Names { get; } = [];

    public required int HeaderLine { get; init; }

    /// <summary>The region printed at level 1, or an implied disabled one; null for a section with no region line.</summary>
    public MtreeTreeNode? Root { get; set; }
}
