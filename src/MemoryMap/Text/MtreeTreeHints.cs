using System.Collections.Immutable;

namespace Verify.MemoryMap.Text;

/// <summary>
/// What QEMU's <c>info mtree</c> tree listing does not say but a region tree needs: which regions printed as
/// <c>i/o</c> have content of their own, and which aliases are read-only.
/// </summary>
/// <remarks>
/// <para>QEMU prints a region's type with <c>memory_region_type</c>, which says <c>i/o</c> both for MMIO and for
/// a pure container, and for an alias prints the type of the <em>target</em>: a read-only alias of RAM (the
/// PAM <c>pam-rom</c> windows) prints <c>ram</c> exactly like the writable <c>pam-ram</c>. Neither fact can
/// be read from the text, so the caller supplies them here. The recorded fixtures show both cases: the
/// <c>io</c> root and <c>rtc</c> are MMIO with subregions (their gaps render as <c>io @...</c>), while
/// <c>system</c>, <c>pci</c> and the leaf <c>device-memory</c> are containers.</para>
/// <para>Without hints (<see cref="None"/>) an <c>i/o</c> region with subregions reads as a container and one
/// without as MMIO, and no alias is read-only.</para>
/// </remarks>
public sealed record MtreeTreeHints
{
    /// <summary>No hints: the structural rule for <c>i/o</c> regions and no read-only aliases.</summary>
    public static MtreeTreeHints None { get; } = new();

    /// <summary>
    /// Printed names of the <c>i/o</c> regions that have content of their own (QEMU's <c>terminates</c>); every
    /// other <c>i/o</c> region is a container. Null means: decide by whether the region has subregions.
    /// </summary>
    public ImmutableHashSet<string>? TerminalIo { get; init; }

    /// <summary>Printed names of the aliases that are read-only (<c>memory_region_set_readonly</c> on the alias).</summary>
    public ImmutableHashSet<string> ReadOnlyAliases { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>
    /// Hints whose <see cref="TerminalIo"/> is every region name that <paramref name="flat"/> shows as a range:
    /// a region QEMU's own render shows has content of its own, and one it never shows renders the same
    /// whether it is a container or not (its whole span is covered by what renders before it).
    /// </summary>
    /// <param name="flat">The <c>info mtree -f</c> dump taken together with the tree listing.</param>
    /// <param name="readOnlyAliases">Printed names of the read-only aliases, known from QEMU's source.</param>
    /// <returns>The hints.</returns>
    public static MtreeTreeHints FromFlatDump(MtreeFlatDump flat, IEnumerable<string> readOnlyAliases)
    {
        ArgumentNullException.ThrowIfNull(flat);
        ArgumentNullException.ThrowIfNull(readOnlyAliases);
        return new MtreeTreeHints
        {
            TerminalIo = flat.Sections.SelectMany(s => s.View).Select(r => r.Region).ToImmutableHashSet(StringComparer.Ordinal),
            ReadOnlyAliases = readOnlyAliases.ToImmutableHashSet(StringComparer.Ordinal),
        };
    }
}
