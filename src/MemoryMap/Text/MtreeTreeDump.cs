using System.Collections.Immutable;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The whole output of QEMU's <c>info mtree</c> (the tree form): one <see cref="MtreeTreeSpace"/> per printed
/// tree of address spaces and the names of the <c>memory-region:</c> sections (alias targets printed on their
/// own). Immutable and thread-safe.
/// </summary>
public sealed class MtreeTreeDump
{
    internal MtreeTreeDump(ImmutableArray<MtreeTreeSpace> spaces, ImmutableArray<string> memoryRegions)
    {
        Spaces = spaces;
        MemoryRegions = memoryRegions;
    }

    /// <summary>The address-space trees in printed order.</summary>
    public ImmutableArray<MtreeTreeSpace> Spaces { get; }

    /// <summary>The names of the <c>memory-region:</c> sections in printed order.</summary>
    public ImmutableArray<string> MemoryRegions { get; }

    /// <summary>The tree printed under <c>address-space: <paramref name="addressSpace"/></c>.</summary>
    /// <param name="addressSpace">An address-space name.</param>
    /// <returns>The tree, or null when no section names that address space.</returns>
    public MtreeTreeSpace? Find(string addressSpace) => Spaces.FirstOrDefault(s => s.Names.Contains(addressSpace));
}
