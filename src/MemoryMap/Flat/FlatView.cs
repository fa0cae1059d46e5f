using System.Buffers;
using System.Collections;
using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace Verify.MemoryMap.Flat;

/// <summary>
/// A rendered memory map (QEMU's <c>FlatView</c>): ranges sorted by start, disjoint, non-empty,
/// inside <c>[0, 2^64)</c>. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Lookup of an address is a binary search, O(log n). <see cref="Simplify"/> is one pass, O(n), and
/// returns this view when nothing merges. <c>default</c> is not used: views are reference types;
/// <see cref="Empty"/> is the view with no ranges.
/// </remarks>
public sealed class FlatView : IReadOnlyList<FlatRange>, IEquatable<FlatView>
{
    private readonly ImmutableArray<FlatRange> _ranges;

    private FlatView(ImmutableArray<FlatRange> ranges) => _ranges = ranges;

    /// <summary>The view with no ranges.</summary>
    public static FlatView Empty { get; } = new([]);

    /// <summary>The ranges in ascending address order.</summary>
    public ImmutableArray<FlatRange> Ranges => _ranges;

    /// <summary>Number of ranges.</summary>
    public int Count => _ranges.Length;

    /// <summary>The range at <paramref name="index"/>.</summary>
    /// <param name="index">In <c>[0, Count)</c>.</param>
    public FlatRange this[int index] => _ranges[index];

    /// <summary>
    /// Validates and wraps <paramref name="ranges"/>: they must be sorted by start, disjoint and non-empty
    /// (every range is inside <c>[0, 2^64)</c> by construction of <see cref="AddressRange"/>) and carry a
    /// region kind a flat range can have.
    /// </summary>
    /// <param name="ranges">The ranges in ascending order.</param>
    /// <returns>The view.</returns>
    /// <exception cref="ArgumentException">A range is empty, out of order or overlaps its predecessor;
    /// the message names the ranges by index and bracket form.</exception>
    public static FlatView Create(IEnumerable<FlatRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var array = ranges.ToImmutableArray();
        if (FindDefect(array) is { } defect)
        {
            throw new ArgumentException($"invalid FlatView: {defect}", nameof(ranges));
        }

        return array.IsEmpty ? Empty : new FlatView(array);
    }

    /// <summary>Wraps ranges the caller has already proven valid (render, simplify, readers that check).</summary>
    internal static FlatView CreateTrusted(ImmutableArray<FlatRange> ranges)
    {
        System.Diagnostics.Debug.Assert(FindDefect(ranges) is null, "trusted ranges must form a valid view");
        return ranges.IsEmpty ? Empty : new FlatView(ranges);
    }

    /// <summary>The first defect of a would-be view, or null when the ranges form a valid view.</summary>
    /// <param name="ranges">Candidate ranges.</param>
    /// <returns>A description naming the offending ranges, or null.</returns>
    public static string? FindDefect(IReadOnlyList<FlatRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        for (int i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (r.Range.IsEmpty)
            {
                return $"range {i} {r.Range} is empty";
            }

            if (r.Kind is Regions.RegionKind.Container or Regions.RegionKind.Alias or Regions.RegionKind.Rom)
            {
                return $"range {i} {r.Range} has kind {r.Kind}; a flat range shows a terminal region (ROM renders as read-only RAM)";
            }

            if (r.Region is null || r.Region.Length == 0)
            {
                return $"range {i} {r.Range} names no region";
            }

            if ((UInt128)r.OffsetInRegion + r.Range.Size > AddressSpace.End)
            {
                return $"range {i} {r.Range} runs past 2^64 in its region (offset 0x{r.OffsetInRegion:x})";
            }

            if (i > 0)
            {
                var p = ranges[i - 1];
                if (r.Range.Start < p.Range.Start)
                {
                    return $"ranges {i - 1} {p.Range} and {i} {r.Range} are out of order";
                }

                if (r.Range.Start < p.Range.End)
                {
                    return $"ranges {i - 1} {p.Range} and {i} {r.Range} overlap";
                }
            }
        }

        return null;
    }

    /// <summary>The index of the range containing <paramref name="address"/>, or -1.</summary>
    /// <param name="address">An address.</param>
    /// <returns>An index in <c>[0, Count)</c> or -1 when no range contains it.</returns>
    public int IndexOf(ulong address)
    {
        int lo = 0, hi = _ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            var r = _ranges[mid].Range;
            if (address < r.Start)
            {
                hi = mid - 1;
            }
            else if (address >= r.End)
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }

        return -1;
    }

    /// <summary>What <paramref name="address"/> shows: the range clipped to that one byte's page-free
    /// identity, i.e. the containing range with its offset at <paramref name="address"/>.</summary>
    /// <param name="address">An address.</param>
    /// <param name="range">The containing range, when there is one.</param>
    /// <param name="offset">The offset in the region of <paramref name="address"/>.</param>
    /// <returns>Whether a range contains the address.</returns>
    public bool TryLookup(ulong address, out FlatRange range, out ulong offset)
    {
        int i = IndexOf(address);
        if (i < 0)
        {
            range = default;
            offset = 0;
            return false;
        }

        range = _ranges[i];
        offset = range.OffsetInRegion + (address - range.Range.Start);
        return true;
    }

    /// <summary>Whether no neighbouring pair of ranges could be merged (<see cref="FlatRange.CanMerge"/>).</summary>
    public bool IsSimplified
    {
        get
        {
            for (int i = 1; i < _ranges.Length; i++)
            {
                if (FlatRange.CanMerge(_ranges[i - 1], _ranges[i]))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// QEMU's <c>flatview_simplify</c>: merges every run of mergeable neighbours into one range in a single
    /// pass. The address -> (region, offset, attributes) function is unchanged, the count never grows and
    /// the result is simplified; returns this view when nothing merges.
    /// </summary>
    /// <returns>The simplified view.</returns>
    /// <remarks>O(n) time; allocates only when something merges, and then only the result.</remarks>
    public FlatView Simplify()
    {
        var span = _ranges.AsSpan();

        // Pass 1 marks every range that merges into its predecessor, so that the result is allocated once at
        // its exact size and pass 2 copies the stretches between runs wholesale instead of comparing again.
        // The marks (one bit a range) come from the shared pool and go back to it.
        int words = (span.Length + 63) >> 6;
        ulong[] marks = ArrayPool<ulong>.Shared.Rent(words);
        try
        {
            int merges = MarkMerges(span, marks);
            if (merges == 0)
            {
                return this;
            }

            var result = new FlatRange[span.Length - merges];
            int written = 0;
            int i = 0;
            while (i < span.Length)
            {
                // span[i..head) absorb nothing; span[head] absorbs the run (head, next).
                int head = NextMark(marks, i + 1, span.Length, marked: true) - 1;
                span[i..head].CopyTo(result.AsSpan(written));
                written += head - i;
                if (head == span.Length - 1)
                {
                    result[written++] = span[head];
                    break;
                }

                int next = NextMark(marks, head + 1, span.Length, marked: false);
                // The constructor rather than FromBounds: each validates (and formats its message) even
                // when the range is fine, and FromBounds runs both checks.
                ref readonly var first = ref span[head];
                result[written++] = first with { Range = new AddressRange(first.Range.Start, span[next - 1].Range.End - first.Range.Start) };
                i = next;
            }

            System.Diagnostics.Debug.Assert(written == result.Length, "pass 2 merges exactly what pass 1 marked");
            return new FlatView(ImmutableCollectionsMarshal.AsImmutableArray(result));
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(marks);
        }
    }

    /// <summary>Sets bit k of <paramref name="marks"/> when range k merges into range k - 1; returns how many do.</summary>
    private static int MarkMerges(ReadOnlySpan<FlatRange> span, ulong[] marks)
    {
        int merges = 0;
        for (int word = 0; word << 6 < span.Length; word++)
        {
            ulong bits = 0;
            int limit = Math.Min(64, span.Length - (word << 6));
            for (int bit = word == 0 ? 1 : 0; bit < limit; bit++)
            {
                int k = (word << 6) + bit;
                bits |= (FlatRange.CanMerge(span[k - 1], span[k]) ? 1UL : 0) << bit;
            }

            marks[word] = bits;
            merges += BitOperations.PopCount(bits);
        }

        return merges;
    }

    /// <summary>The first index in <c>[from, length)</c> whose mark is <paramref name="marked"/>, or <paramref name="length"/>.</summary>
    private static int NextMark(ulong[] marks, int from, int length, bool marked)
    {
        int word = from >> 6;
        if (from >= length)
        {
            return length;
        }

        ulong flip = marked ? 0 : ulong.MaxValue;
        ulong bits = (marks[word] ^ flip) & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++word << 6 >= length)
            {
                return length;
            }

            bits = marks[word] ^ flip;
        }

        return Math.Min(length, (word << 6) + BitOperations.TrailingZeroCount(bits));
    }

    /// <inheritdoc/>
    public IEnumerator<FlatRange> GetEnumerator() => ((IEnumerable<FlatRange>)_ranges).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Range-for-range record equality (every field of every range).</summary>
    /// <param name="other">Another view.</param>
    /// <returns>Whether both views hold the same ranges.</returns>
    public bool Equals(FlatView? other) =>
        other is not null && (ReferenceEquals(this, other) || _ranges.AsSpan().SequenceEqual(other._ranges.AsSpan()));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as FlatView);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var r in _ranges)
        {
            hash.Add(r);
        }

        return hash.ToHashCode();
    }

    /// <summary>One range per line in bracket form.</summary>
    /// <returns>The text; <c>(empty view)</c> for no ranges.</returns>
    public override string ToString()
    {
        if (_ranges.IsEmpty)
        {
            return "(empty view)";
        }

        var text = new StringBuilder();
        foreach (var r in _ranges)
        {
            text.Append("  ").Append(r.ToString()).AppendLine();
        }

        return text.ToString().TrimEnd();
    }
}
