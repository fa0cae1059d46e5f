using System.Globalization;

namespace Verify.MemoryMap;

/// <summary>
/// A half-open range <c>[Start, End)</c> of the 64-bit address space.
/// </summary>
/// <remarks>
/// <para><see cref="Start"/> is 64-bit; <see cref="End"/> and <see cref="Size"/> are <see cref="UInt128"/>
/// because a range may reach 2^64 exactly (<see cref="AddressSpace.End"/>).</para>
/// <para><c>default</c> is the empty range at 0, a valid value.</para>
/// <para>Two notions of sharing: <see cref="Overlaps"/> (at least one common address; an empty
/// range overlaps nothing) and <see cref="Touches"/> (overlapping or adjacent). Immutable and
/// thread-safe.</para>
/// </remarks>
public readonly struct AddressRange : IEquatable<AddressRange>, IComparable<AddressRange>
{
    private readonly ulong _size64;
    private readonly bool _isWholeSpace;

    /// <summary>Creates the range <c>[start, start + size)</c>.</summary>
    /// <param name="start">First address.</param>
    /// <param name="size">Length in bytes; <c>start + size</c> must not pass 2^64.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> takes the end past 2^64.</exception>
    public AddressRange(ulong start, UInt128 size)
    {
        Preconditions.CheckArgumentRange(size <= AddressSpace.End - start, size,
            $"should be at most 2^64 - 0x{start:x} so that the range ends inside the address space", paramName: nameof(size));
        Start = start;
        _isWholeSpace = size == AddressSpace.End;
        _size64 = _isWholeSpace ? 0 : (ulong)size;
    }

    /// <summary>Creates the range <c>[start, end)</c>.</summary>
    /// <param name="start">First address.</param>
    /// <param name="end">One past the last address; never before <paramref name="start"/>, at most 2^64.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="end"/> is before <paramref name="start"/> or past 2^64.</exception>
    public static AddressRange FromBounds(ulong start, UInt128 end)
    {
        Preconditions.CheckArgumentRange(end >= start && end <= AddressSpace.End, end,
            $"should be in [0x{start:x}, 2^64]", paramName: nameof(end));
        return new AddressRange(start, end - start);
    }

    /// <summary>The whole address space <c>[0, 2^64)</c>.</summary>
    public static AddressRange WholeSpace { get; } = new(0, AddressSpace.End);

    /// <summary>The first address of the range.</summary>
    public ulong Start { get; }

    /// <summary>Length in bytes, at most 2^64.</summary>
    public UInt128 Size => _isWholeSpace ? AddressSpace.End : _size64;

    /// <summary>One past the last address; never before <see cref="Start"/>, at most 2^64.</summary>
    public UInt128 End => (UInt128)Start + Size;

    /// <summary>The last address of a non-empty range (<c>End - 1</c>).</summary>
    /// <exception cref="InvalidOperationException">The range is empty.</exception>
    public ulong Last
    {
        get
        {
            Preconditions.CheckState(!IsEmpty, $"the empty range {this} has no last address");
            return (ulong)(End - 1);
        }
    }

    /// <summary>Whether the range has no addresses.</summary>
    public bool IsEmpty => !_isWholeSpace && _size64 == 0;

    /// <summary>Whether the range ends at 2^64 exactly.</summary>
    public bool EndsAtTop => End == AddressSpace.End;

    /// <summary>Whether <paramref name="address"/> is inside the range.</summary>
    /// <param name="address">An address.</param>
    /// <returns><see langword="true"/> when <c>Start &lt;= address &lt; End</c>.</returns>
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <summary>Whether every address of <paramref name="other"/> is inside this range. The empty range
    /// is contained in a range when its start lies in <c>[Start, End]</c>.</summary>
    /// <param name="other">Another range.</param>
    /// <returns>Whether <paramref name="other"/> lies inside this range.</returns>
    public bool Contains(AddressRange other) => other.Start >= Start && other.End <= End;

    /// <summary>Whether the two ranges share at least one address. Empty ranges overlap nothing.</summary>
    /// <param name="other">Another range.</param>
    /// <returns>Whether the ranges overlap.</returns>
    public bool Overlaps(AddressRange other) =>
        !IsEmpty && !other.IsEmpty && other.Start < End && Start < other.End;

    /// <summary>Whether the ranges overlap or are adjacent (one ends where the other starts).</summary>
    /// <param name="other">Another range.</param>
    /// <returns>Whether the ranges touch.</returns>
    public bool Touches(AddressRange other) => other.Start <= End && Start <= other.End;

    /// <summary>The common part of two ranges; empty (at the later start) when they do not overlap.</summary>
    /// <param name="other">Another range.</param>
    /// <returns>The intersection, possibly empty.</returns>
    public AddressRange Intersect(AddressRange other)
    {
        ulong start = Math.Max(Start, other.Start);
        UInt128 end = UInt128.Min(End, other.End);
        return end <= start ? new AddressRange(start, 0) : FromBounds(start, end);
    }

    /// <summary>The range moved up by <paramref name="delta"/> bytes (<see cref="ShiftDown"/> moves it down).</summary>
    /// <param name="delta">Bytes to add to both ends.</param>
    /// <returns>The shifted range.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The shifted end would pass 2^64.</exception>
    public AddressRange ShiftUp(ulong delta)
    {
        Preconditions.CheckArgumentRange(End + delta <= AddressSpace.End, delta,
            $"should keep {this} inside the address space", paramName: nameof(delta));
        return new AddressRange(Start + delta, Size);
    }

    /// <summary>The range moved down by <paramref name="delta"/> bytes.</summary>
    /// <param name="delta">Bytes to subtract from both ends; at most <see cref="Start"/>.</param>
    /// <returns>The shifted range.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> exceeds <see cref="Start"/>.</exception>
    public AddressRange ShiftDown(ulong delta)
    {
        Preconditions.CheckArgumentRange(delta <= Start, delta,
            $"should be at most the start 0x{Start:x}", paramName: nameof(delta));
        return new AddressRange(Start - delta, Size);
    }

    /// <inheritdoc/>
    public bool Equals(AddressRange other) => Start == other.Start && Size == other.Size;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AddressRange other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Start, _size64, _isWholeSpace);

    /// <summary>Orders by start, then by end.</summary>
    /// <param name="other">Another range.</param>
    /// <returns>The usual comparison result.</returns>
    public int CompareTo(AddressRange other)
    {
        int c = Start.CompareTo(other.Start);
        return c != 0 ? c : End.CompareTo(other.End);
    }

    /// <summary>Whether two ranges are equal.</summary>
    /// <param name="left">A range.</param>
    /// <param name="right">A range.</param>
    /// <returns>Whether start and size are equal.</returns>
    public static bool operator ==(AddressRange left, AddressRange right) => left.Equals(right);

    /// <summary>Whether two ranges differ.</summary>
    /// <param name="left">A range.</param>
    /// <param name="right">A range.</param>
    /// <returns>Whether start or size differ.</returns>
    public static bool operator !=(AddressRange left, AddressRange right) => !left.Equals(right);

    /// <summary>Orders by start, then end.</summary>
    /// <param name="left">A range.</param><param name="right">A range.</param>
    /// <returns>Whether <paramref name="left"/> sorts first.</returns>
    public static bool operator <(AddressRange left, AddressRange right) => left.CompareTo(right) < 0;

    /// <summary>Orders by start, then end.</summary>
    /// <param name="left">A range.</param><param name="right">A range.</param>
    /// <returns>Whether <paramref name="left"/> sorts last.</returns>
    public static bool operator >(AddressRange left, AddressRange right) => left.CompareTo(right) > 0;

    /// <summary>Orders by start, then end.</summary>
    /// <param name="left">A range.</param><param name="right">A range.</param>
    /// <returns>Whether <paramref name="left"/> does not sort last.</returns>
    public static bool operator <=(AddressRange left, AddressRange right) => left.CompareTo(right) <= 0;

    /// <summary>Orders by start, then end.</summary>
    /// <param name="left">A range.</param><param name="right">A range.</param>
    /// <returns>Whether <paramref name="left"/> does not sort first.</returns>
    public static bool operator >=(AddressRange left, AddressRange right) => left.CompareTo(right) >= 0;

    /// <summary>Prints <c>[0x1000..0x2000)</c>; the end 2^64 prints as <c>0x1_0000_0000_0000_0000</c>.</summary>
    /// <returns>The bracket form.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"[0x{Start:x}..{FormatEnd(End)})");

    /// <summary>Formats an end or size that may be 2^64.</summary>
    /// <param name="value">A value at most 2^64.</param>
    /// <returns>Hex text with a <c>0x</c> prefix.</returns>
    public static string FormatEnd(UInt128 value) =>
        value == AddressSpace.End ? "0x1_0000_0000_0000_0000" : string.Create(CultureInfo.InvariantCulture, $"0x{(ulong)value:x}");
}
