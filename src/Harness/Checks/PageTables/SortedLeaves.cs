using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>Oracle leaves sorted by IOVA, for fast lookups of one state (before or after an update).</summary>
public sealed class SortedLeaves
{
    private readonly OracleLeaf[] _leaves;
    private readonly ulong[] _starts;

    /// <summary>Sorts <paramref name="leaves"/>.</summary>
    /// <param name="leaves">Disjoint leaves.</param>
    public SortedLeaves(IEnumerable<OracleLeaf> leaves)
    {
        _leaves = [.. leaves.OrderBy(l => l.Iova)];
        _starts = [.. _leaves.Select(l => l.Iova)];
    }

    /// <summary>No leaves.</summary>
    public static SortedLeaves Empty { get; } = new([]);

    /// <summary>Where <paramref name="address"/> leads in this state.</summary>
    /// <param name="address">An IOVA.</param>
    /// <returns>The translation or null.</returns>
    public Translation? Translate(ulong address)
    {
        int i = Array.BinarySearch(_starts, address);
        i = i >= 0 ? i : ~i - 1;
        return i >= 0 && _leaves[i].Contains(address)
            ? new Translation(_leaves[i].Pa + (address - _leaves[i].Iova), _leaves[i].Protection)
            : null;
    }

    /// <summary>Leaf starts and ends inside <c>[from, to)</c>.</summary>
    /// <param name="from">First address.</param>
    /// <param name="to">One past the last address.</param>
    /// <returns>The boundaries.</returns>
    public IEnumerable<ulong> BoundariesIn(ulong from, UInt128 to)
    {
        int i = Array.BinarySearch(_starts, from);
        i = Math.Max(0, i >= 0 ? i : ~i - 1);
        for (; i < _leaves.Length && _leaves[i].Iova < to; i++)
        {
            if (_leaves[i].Iova >= from)
            {
                yield return _leaves[i].Iova;
            }

            if (_leaves[i].End >= from && _leaves[i].End < to)
            {
                yield return _leaves[i].End;
            }
        }
    }
}
