using System.Collections.Immutable;
using Verify.MemoryMap.Text;

namespace Verify.Harness.Qemu;

/// <summary>
/// Facts about QEMU's machine models that its <c>info mtree</c> tree listing does not print but a region tree
/// read from it needs (see <see cref="MtreeTreeHints"/>), taken from QEMU's source.
/// </summary>
public static class QemuRegionFacts
{
    /// <summary>
    /// Aliases QEMU makes read-only. <c>pam-rom</c>: <c>init_pam</c> in <c>hw/pci-host/pam.c</c> (i440FX and Q35)
    /// calls <c>memory_region_set_readonly</c> on the alias of RAM it maps for PAM mode 1; the tree listing prints
    /// it as <c>ram</c>, the type of its target.
    /// </summary>
    public static ImmutableArray<string> ReadOnlyAliases { get; } = ["pam-rom"];

    /// <summary>The hints for reading a capture's tree: which <c>i/o</c> regions have content of their own (from the
    /// capture's own <c>info mtree -f</c>) and <see cref="ReadOnlyAliases"/>.</summary>
    /// <param name="capture">A recorded capture.</param>
    /// <returns>The hints.</returns>
    public static MtreeTreeHints HintsFor(QemuCapture capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        return MtreeTreeHints.FromFlatDump(MtreeFlatText.Read(capture.Flat), ReadOnlyAliases);
    }
}
