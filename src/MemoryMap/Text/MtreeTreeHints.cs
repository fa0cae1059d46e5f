using System.Collections.Immutable;

namespace Verify.MemoryMap.Text;

/// <summary>
/// What QEMU's <c>info mtree</c> tree listing does not say but a region tree needs: which regions printed as
/// <c>i/o</c> are containers and which have content of their own, and which aliases are read-only.
/// </summary>
/// <remarks>
/// <para>QEMU prints a region's type with <c>memory_region_type</c>, which says <c>i/o</c> both for MMIO and for
/// a pure container, and for an alias prints the type of the <em>target</em>: a read-only alias of RAM (the
/// PAM <c>pam-rom</c> windows) prints <c>ram</c> exactly like the writable <c>pam-ram</c>. Neither fact can
/// be read from the text, so the caller supplies them here.</para>
/// <para>Without a hint an <c>i/o</c> region with subregions reads as a container and one without as MMIO. The
/// recorded fixtures break that rule both ways: the <c>io</c> root and <c>rtc</c> are MMIO with subregions
/// (their gaps render as <c>io @...</c>), and a container whose subregions are all disabled or not plugged yet
/// (<c>device-memory</c>, <c>bus master container</c>, q35's <c>smram</c>) prints as a leaf.</para>
/// </remarks>
public sealed record MtreeTreeHints
{
    /// <summary>No hints: the structural rule for <c>i/o</c> regions and no read-only aliases.</summary>
    public static MtreeTreeHints None { get; } = new();

    /// <summary>Printed names (or <c>*</c> patterns, see <see cref="Matches"/>) of <c>i/o</c> regions with content of their
    /// own although they have subregions.</summary>
    public ImmutableHashSet<string> TerminalIo { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>Printed names (or <c>*</c> patterns) of <c>i/o</c> regions that are containers although they print without
    /// subregions.</summary>
    public ImmutableHashSet<string> ContainerIo { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>Printed names (or <c>*</c> patterns) of the regions whose own read-only flag the text does not print:
    /// aliases (an alias prints its target's type) and ROM devices, ram-devices or MMIO regions made read-only
    /// (<c>memory_region_set_readonly</c>). Read-only RAM prints as <c>rom</c> and needs none.</summary>
    public ImmutableHashSet<string> ReadOnlyAliases { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    /// <summary>Whether an <c>i/o</c> region (or old QEMU's <c>RW</c> with subregions) has content of its own.</summary>
    /// <param name="printedName">The region's printed name.</param>
    /// <param name="hasSubregions">Whether subregions are printed under it.</param>
    /// <returns>True for MMIO, false for a container.</returns>
    public bool IsTerminalIo(string printedName, bool hasSubregions) =>
        Matches(TerminalIo, printedName) || (!Matches(ContainerIo, printedName) && !hasSubregions);

    /// <summary>Whether a region is read-only by a hint (<see cref="ReadOnlyAliases"/>).</summary>
    /// <param name="printedName">The region's printed name.</param>
    /// <returns>True when a hint names it.</returns>
    public bool IsReadOnlyAlias(string printedName) => Matches(ReadOnlyAliases, printedName);

    /// <summary>
    /// Whether a set names a region: by its exact name, or by a pattern in which <c>*</c> stands for any run of
    /// characters (QEMU numbers many regions by instance: <c>tce-root-80000001</c>, <c>pci@800000020000000.io</c>).
    /// </summary>
    /// <param name="names">Names and patterns.</param>
    /// <param name="printedName">A printed name.</param>
    /// <returns>True when one matches.</returns>
    public static bool Matches(ImmutableHashSet<string> names, string printedName)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(printedName);
        return names.Contains(printedName) || names.Any(p => p.Contains('*', StringComparison.Ordinal) && Glob(p, printedName));
    }

    private static bool Glob(string pattern, string name)
    {
        var parts = pattern.Split('*');
        if (!name.StartsWith(parts[0], StringComparison.Ordinal) || !name.EndsWith(parts[^1], StringComparison.Ordinal)
            || name.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        int at = parts[0].Length;
        foreach (string middle in parts[1..^1])
        {
            int found = name.IndexOf(middle, at, StringComparison.Ordinal);
            if (found < 0 || found + middle.Length > name.Length - parts[^1].Length)
            {
                return false;
            }

            at = found + middle.Length;
        }

        return true;
    }

    /// <summary>Whether two hint sets say the same (each set compared as a set).</summary>
    /// <param name="other">The other hints.</param>
    /// <returns>True when equal by value.</returns>
    public bool Equals(MtreeTreeHints? other) =>
        ReferenceEquals(this, other)
        || (other is not null && SameSet(TerminalIo, other.TerminalIo) && SameSet(ContainerIo, other.ContainerIo)
            && SameSet(ReadOnlyAliases, other.ReadOnlyAliases));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TerminalIo.Count, ContainerIo.Count, ReadOnlyAliases.Count);

    private static bool SameSet(ImmutableHashSet<string> a, ImmutableHashSet<string> b) => a.SetEquals(b) && b.SetEquals(a);
}
