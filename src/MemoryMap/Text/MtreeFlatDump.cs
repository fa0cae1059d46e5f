using System.Collections.Immutable;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The whole output of QEMU's <c>info mtree -f</c>: one <see cref="MtreeFlatSection"/> per distinct
/// FlatView, in printed order, with the number each was printed with (<c>FlatView #0</c>, <c>#1</c>, ...).
/// Immutable and thread-safe.
/// </summary>
/// <remarks>QEMU numbers the views it prints from 0, but a paste often keeps only some of them (<c>#0</c> then
/// <c>#3</c>, or a dump that starts at <c>#2</c>); the numbers are kept so the text writes back as it was.</remarks>
public sealed class MtreeFlatDump : IEquatable<MtreeFlatDump>
{
    /// <summary>Creates a dump numbered 0, 1, 2, ...</summary>
    /// <param name="sections">The sections in printed order.</param>
    public MtreeFlatDump(IEnumerable<MtreeFlatSection> sections)
        : this(sections, null)
    {
    }

    /// <summary>Creates a dump whose sections print with the given numbers.</summary>
    /// <param name="sections">The sections in printed order.</param>
    /// <param name="numbers">One number per section, non-negative and strictly ascending; null for 0, 1, 2, ...</param>
    /// <exception cref="ArgumentException">The numbers are not one per section, or do not ascend from 0 or more.</exception>
    public MtreeFlatDump(IEnumerable<MtreeFlatSection> sections, IEnumerable<int>? numbers)
    {
        ArgumentNullException.ThrowIfNull(sections);
        Sections = [.. sections];
        foreach (var section in Sections)
        {
            ArgumentNullException.ThrowIfNull(section, nameof(sections));
        }

        Numbers = numbers is null ? [.. Enumerable.Range(0, Sections.Length)] : [.. numbers];
        if (Numbers.Length != Sections.Length)
        {
            throw new ArgumentException($"{Numbers.Length} numbers for {Sections.Length} sections; there should be one per section", nameof(numbers));
        }

        for (int i = 0; i < Numbers.Length; i++)
        {
            if (Numbers[i] < 0 || (i > 0 && Numbers[i] <= Numbers[i - 1]))
            {
                throw new ArgumentException($"section {i} is numbered {Numbers[i]}; numbers should be non-negative and ascend", nameof(numbers));
            }
        }
    }

    private MtreeFlatDump(ImmutableArray<MtreeFlatSection> sections, ImmutableArray<int> numbers)
    {
        Sections = sections;
        Numbers = numbers;
    }

    /// <summary>The dump with no sections (empty text).</summary>
    public static MtreeFlatDump Empty { get; } = new(ImmutableArray<MtreeFlatSection>.Empty, ImmutableArray<int>.Empty);

    /// <summary>The sections in printed order.</summary>
    public ImmutableArray<MtreeFlatSection> Sections { get; }

    /// <summary>Per section (same index), the number after <c>FlatView #</c>: strictly ascending.</summary>
    public ImmutableArray<int> Numbers { get; }

    internal static MtreeFlatDump CreateTrusted(ImmutableArray<MtreeFlatSection> sections, ImmutableArray<int> numbers) =>
        sections.IsEmpty ? Empty : new MtreeFlatDump(sections, numbers);

    /// <summary>Section-for-section equality, numbers included.</summary>
    /// <param name="other">Another dump.</param>
    /// <returns>Whether both hold equal sections, numbered alike, in the same order.</returns>
    public bool Equals(MtreeFlatDump? other) =>
        other is not null && (ReferenceEquals(this, other) || (Sections.SequenceEqual(other.Sections) && Numbers.SequenceEqual(other.Numbers)));

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
