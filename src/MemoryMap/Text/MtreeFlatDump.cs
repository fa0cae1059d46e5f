using System.Collections.Immutable;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The whole output of QEMU's <c>info mtree -f</c>: one <see cref="MtreeFlatSection"/> per distinct
/// FlatView, in printed order (<c>FlatView #0</c>, <c>#1</c>, ...). Immutable and thread-safe.
/// </summary>
public sealed class MtreeFlatDump : IEquatable<MtreeFlatDump>
{
    /// <summary>Creates a dump.</summary>
    /// <param name="sections">The sections in printed order.</param>
    public MtreeFlatDump(IEnumerable<MtreeFlatSection> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        Sections = [.. sections];
        foreach (var section in Sections)
        {
            ArgumentNullException.ThrowIfNull(section, nameof(sections));
        }
    }

    private MtreeFlatDump(ImmutableArray<MtreeFlatSection> sections) => Sections = sections;

    /// <summary>The dump with no sections (empty text).</summary>
    public static MtreeFlatDump Empty { get; } = new(ImmutableArray<MtreeFlatSection>.Empty);

    /// <summary>The sections in printed order; section <c>i</c> prints as <c>FlatView #i</c>.</summary>
    public ImmutableArray<MtreeFlatSection> Sections { get; }

    internal static MtreeFlatDump CreateTrusted(ImmutableArray<MtreeFlatSection> sections) =>
        sections.IsEmpty ? Empty : new MtreeFlatDump(sections);

    /// <summary>Section-for-section equality.</summary>
    /// <param name="other">Another dump.</param>
    /// <returns>Whether both hold equal sections in the same order.</returns>
    public bool Equals(MtreeFlatDump? other) =>
        other is not null && (ReferenceEquals(this, other) || Sections.SequenceEqual(other.Sections));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MtreeFlatDump);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var section in Sections)
        {
            hash.Add(section);
        }

        return hash.ToHashCode();
    }

    /// <summary>The dump as <c>info mtree -f</c> text (<see cref="MtreeFlatText.Write(MtreeFlatDump)"/>).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => MtreeFlatText.Write(this);
}
