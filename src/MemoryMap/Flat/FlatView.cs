using System.Collections;
using System.Collections.Immutable;
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
        int first = 1;
        while (first < span.Length && !FlatRange.CanMerge(span[first - 1], span[first]))
        {
            first++;
        }

        if (first >= span.Length)
        {
            return this;
        }

        var result = ImmutableArray.CreateBuilder<FlatRange>(span.Length - 1);
        for (int k = 0; k < first - 1; k++)
        {
            result.Add(span[k]);
        }

        int i = first - 1;
        while (i < span.Length)
        {
            int j = i + 1;
            while (j < span.Length && FlatRange.CanMerge(span[j - 1], span[j]))
            {
                j++;
            }

            var head = span[i];
            result.Add(j == i + 1 ? head : head with { Range = AddressRange.FromBounds(head.Range.Start, span[j - 1].Range.End) });
            i = j;
        }

        return new FlatView(result.DrainToImmutable());
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
