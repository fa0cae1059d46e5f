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
        : this(sections, numbers, MtreeFlatStart.Header)
    {
    }

    /// <summary>Creates a dump whose text begins below the first view's header.</summary>
    /// <param name="sections">The sections in printed order.</param>
    /// <param name="numbers">One number per section, non-negative and strictly ascending; null for 0, 1, 2, ...
    /// The first section's number is not printed unless <paramref name="start"/> is <see cref="MtreeFlatStart.Header"/>.</param>
    /// <param name="start">Where the text begins.</param>
    /// <exception cref="ArgumentException">The numbers are not one per section or do not ascend; or the text starts
    /// below a header but the first section has address spaces (which only the header carries), or starts at the
    /// ranges but its root is not <see cref="UnknownRoot"/> or it has no range, or there is no section, or the first
    /// number is not 0 although it is not printed.</exception>
    public MtreeFlatDump(IEnumerable<MtreeFlatSection> sections, IEnumerable<int>? numbers, MtreeFlatStart start)
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

        Start = start;
        if (start != MtreeFlatStart.Header)
        {
            if (Sections.IsEmpty || !Sections[0].AddressSpaces.IsEmpty)
            {
                throw new ArgumentException($"a text starting at the {(start == MtreeFlatStart.RootLine ? "root line" : "ranges")} has a first section without address spaces", nameof(start));
            }

            if (Numbers[0] != 0)
            {
                throw new ArgumentException($"a text starting below the first header does not print its number, which reads as 0; got {Numbers[0]}", nameof(numbers));
            }

            if (start == MtreeFlatStart.Ranges && (Sections[0].RootRegion != UnknownRoot || Sections[0].View.Count == 0))
            {
                throw new ArgumentException(
                    $"a text starting at the ranges has no root line and at least one range; the first section's root should be \"{UnknownRoot}\" and its view non-empty", nameof(start));
            }
        }
    }

    /// <summary>The root region of a view pasted without its root line.</summary>
    public const string UnknownRoot = "(not pasted)";

    private MtreeFlatDump(ImmutableArray<MtreeFlatSection> sections, ImmutableArray<int> numbers, MtreeFlatStart start)
    {
        Sections = sections;
        Numbers = numbers;
        Start = start;
    }

    /// <summary>The dump with no sections (empty text).</summary>
    public static MtreeFlatDump Empty { get; } = new(ImmutableArray<MtreeFlatSection>.Empty, ImmutableArray<int>.Empty, MtreeFlatStart.Header);

    /// <summary>The sections in printed order.</summary>
    public ImmutableArray<MtreeFlatSection> Sections { get; }

    /// <summary>Per section (same index), the number after <c>FlatView #</c>: strictly ascending.</summary>
    public ImmutableArray<int> Numbers { get; }

    /// <summary>Where the text begins; <see cref="MtreeFlatStart.Header"/> for everything QEMU prints itself.</summary>
    public MtreeFlatStart Start { get; }

    internal static MtreeFlatDump CreateTrusted(ImmutableArray<MtreeFlatSection> sections, ImmutableArray<int> numbers, MtreeFlatStart start) =>
        sections.IsEmpty ? Empty : new MtreeFlatDump(sections, numbers, start);

    /// <summary>The section that shows <paramref name="addressSpace"/>: the one with that <c>AS</c> line, or, in a paste
    /// of one view that names no address space (its header or its <c>AS</c> lines left out), that view.</summary>
    /// <param name="addressSpace">An address space name as QEMU prints it (<c>memory</c>, <c>I/O</c>, <c>cpu-memory-0</c>).</param>
    /// <returns>The section, or null when no section shows it.</returns>
    public MtreeFlatSection? SectionFor(string addressSpace)
    {
        ArgumentNullException.ThrowIfNull(addressSpace);
        foreach (var section in Sections)
        {
            foreach (var space in section.AddressSpaces)
            {
                if (space.Name == addressSpace)
                {
                    return section;
                }
            }
        }

        // A paste whose one view names no address space (its header cut, or its AS lines removed) shows the only view there is.
        return Sections.Length == 1 && Sections[0].AddressSpaces.IsEmpty ? Sections[0] : null;
    }

    /// <summary>Section-for-section equality, numbers included.</summary>
    /// <param name="other">Another dump.</param>
    /// <returns>Whether both hold equal sections, numbered alike, in the same order.</returns>
    public bool Equals(MtreeFlatDump? other) =>
        other is not null && (ReferenceEquals(this, other) || (Start == other.Start && Sections.SequenceEqual(other.Sections) && Numbers.SequenceEqual(other.Numbers)));

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
