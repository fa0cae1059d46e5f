using System.Collections.Immutable;
using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Text;

/// <summary>
/// One <c>FlatView #N</c> section of <c>info mtree -f</c>: the address spaces that share the view, the
/// name on the <c>Root memory region:</c> line, the view and, per range, the trailing words QEMU printed
/// after it (the accelerator name <c>KVM</c>, owners, <c>[DETECTED OVERFLOW!]</c>, words unknown to the reader).
/// </summary>
/// <remarks>
/// Immutable and thread-safe. Every section that can be constructed can be written and read back
/// (<see cref="MtreeFlatText"/>); the constructor refuses names and words the text cannot carry.
/// </remarks>
public sealed class MtreeFlatSection : IEquatable<MtreeFlatSection>
{
    /// <summary>Creates a section.</summary>
    /// <param name="addressSpaces">The <c>AS</c> lines, in order; may be empty.</param>
    /// <param name="rootRegion">The name on the <c>Root memory region:</c> line (QEMU prints <c>(none)</c> when there is no root).</param>
    /// <param name="view">The view.</param>
    /// <param name="annotations">Per range of <paramref name="view"/>, the trailing words; null for none at all.
    /// Each word is one word as the reader splits them (see <see cref="MtreeFlatText"/>).</param>
    /// <exception cref="ArgumentException">A name or word cannot be written and read back, or the annotation
    /// count differs from the range count; the message names the offender.</exception>
    public MtreeFlatSection(
        IEnumerable<MtreeAddressSpace> addressSpaces,
        string rootRegion,
        FlatView view,
        IEnumerable<IEnumerable<string>>? annotations = null)
        : this(
            [.. addressSpaces ?? throw new ArgumentNullException(nameof(addressSpaces))],
            rootRegion,
            view,
            annotations is null
                ? ImmutableArray.CreateRange(Enumerable.Repeat(ImmutableArray<string>.Empty, view?.Count ?? 0))
                : [.. annotations.Select(a => a.ToImmutableArray())])
    {
    }

    /// <summary>Creates a section from immutable parts; see the other constructor.</summary>
    /// <param name="addressSpaces">The <c>AS</c> lines, in order; may be empty.</param>
    /// <param name="rootRegion">The name on the <c>Root memory region:</c> line.</param>
    /// <param name="view">The view.</param>
    /// <param name="annotations">Per range of <paramref name="view"/>, the trailing words; <c>default</c> for none at all.</param>
    /// <exception cref="ArgumentException">A name or word cannot be written and read back, or the annotation
    /// count differs from the range count; the message names the offender.</exception>
    public MtreeFlatSection(
        ImmutableArray<MtreeAddressSpace> addressSpaces,
        string rootRegion,
        FlatView view,
        ImmutableArray<ImmutableArray<string>> annotations)
        : this(addressSpaces, rootRegion, view, annotations, validate: true)
    {
    }

    private MtreeFlatSection(
        ImmutableArray<MtreeAddressSpace> addressSpaces, string rootRegion, FlatView view, ImmutableArray<ImmutableArray<string>> annotations, bool validate)
    {
        ArgumentNullException.ThrowIfNull(rootRegion);
        ArgumentNullException.ThrowIfNull(view);
        AddressSpaces = addressSpaces.IsDefault ? [] : addressSpaces;
        RootRegion = rootRegion;
        View = view;
        Annotations = annotations.IsDefault ? [.. Enumerable.Repeat(ImmutableArray<string>.Empty, view.Count)] : annotations;
        if (validate)
        {
            Validate();
        }
    }

    /// <summary>The <c>AS</c> lines, in printed order.</summary>
    public ImmutableArray<MtreeAddressSpace> AddressSpaces { get; }

    /// <summary>The name on the <c>Root memory region:</c> line; never empty.</summary>
    public string RootRegion { get; }

    /// <summary>The ranges; <see cref="FlatView.Empty"/> for <c>No rendered FlatView</c>.</summary>
    public FlatView View { get; }

    /// <summary>Per range of <see cref="View"/> (same index), the trailing words in printed order.</summary>
    public ImmutableArray<ImmutableArray<string>> Annotations { get; }

    /// <summary>The same section showing <paramref name="view"/>, which has as many ranges as <see cref="View"/>;
    /// returns this section when the view is the same.</summary>
    /// <param name="view">The replacement view.</param>
    /// <returns>The section.</returns>
    /// <exception cref="ArgumentException">The range counts differ or a region name cannot be written.</exception>
    public MtreeFlatSection WithView(FlatView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Equals(View))
        {
            return this;
        }

        return new MtreeFlatSection(AddressSpaces, RootRegion, view, Annotations);
    }

    /// <summary>Builds a section from parts the reader has already checked.</summary>
    internal static MtreeFlatSection CreateTrusted(
        ImmutableArray<MtreeAddressSpace> addressSpaces, string rootRegion, FlatView view, ImmutableArray<ImmutableArray<string>> annotations) =>
        new(addressSpaces, rootRegion, view, annotations, validate: false);

    private void Validate()
    {
        foreach (var space in AddressSpaces)
        {
            ArgumentNullException.ThrowIfNull(space, "addressSpaces");
            if (space.Name.Contains('"', StringComparison.Ordinal) || MtreeSyntax.HasLineBreak(space.Name)
                || space.Root.Length == 0 || space.Root.Contains(MtreeSyntax.AliasSeparator, StringComparison.Ordinal) || MtreeSyntax.HasLineBreak(space.Root)
                || space.RootAlias is { Length: 0 } || (space.RootAlias is { } alias && MtreeSyntax.HasLineBreak(alias)))
            {
                throw new ArgumentException(
                    $"address space {space} cannot be printed and read back: the name must have no quote, the root must be non-empty " +
                    $"without \"{MtreeSyntax.AliasSeparator}\", and no part may have a line break", "addressSpaces");
            }
        }

        if (RootRegion.Length == 0 || MtreeSyntax.HasLineBreak(RootRegion) || RootRegion.Trim().Length != RootRegion.Length)
        {
            throw new ArgumentException($"root region name \"{RootRegion}\" should be non-empty, on one line, without surrounding space", "rootRegion");
        }

        if (Annotations.Length != View.Count)
        {
            throw new ArgumentException($"{Annotations.Length} annotation lists for {View.Count} ranges; there should be one per range", "annotations");
        }

        for (int i = 0; i < View.Count; i++)
        {
            if (MtreeSyntax.RegionNameDefect(View[i].Region) is { } defect)
            {
                throw new ArgumentException($"range {i} {View[i].Range}: region name \"{View[i].Region}\" {defect}", "view");
            }

            if (Annotations[i].IsDefault)
            {
                throw new ArgumentException($"range {i} {View[i].Range}: the annotation list is a default ImmutableArray; use an empty one", "annotations");
            }

            foreach (string word in Annotations[i])
            {
                if (word is null || !MtreeSyntax.IsSingleWord(word))
                {
                    throw new ArgumentException(
                        $"range {i} {View[i].Range}: annotation \"{word}\" should be one word (a [...] or owner:{{...}} group may hold spaces)", "annotations");
                }
            }
        }
    }

    /// <summary>Same address spaces, root, view (every field of every range) and annotations.</summary>
    /// <param name="other">Another section.</param>
    /// <returns>Whether the sections are equal.</returns>
    public bool Equals(MtreeFlatSection? other)
    {
        if (other is null)
        {
            return false;
        }

        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (!string.Equals(RootRegion, other.RootRegion, StringComparison.Ordinal)
            || !AddressSpaces.SequenceEqual(other.AddressSpaces)
            || !View.Equals(other.View)
            || Annotations.Length != other.Annotations.Length)
        {
            return false;
        }

        for (int i = 0; i < Annotations.Length; i++)
        {
            if (!Annotations[i].AsSpan().SequenceEqual(other.Annotations[i].AsSpan()))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MtreeFlatSection);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(RootRegion, AddressSpaces.Length, View);

    /// <summary>The section as <c>info mtree -f</c> prints it, numbered <c>#0</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => MtreeFlatText.Write(new MtreeFlatDump([this]));
}
