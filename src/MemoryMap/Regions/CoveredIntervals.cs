namespace Verify.MemoryMap.Regions;

/// <summary>
/// A set of addresses kept as disjoint, non-touching intervals. Claiming a span returns the parts of it not
/// covered yet and then covers the whole span; intervals a claim overlaps or touches are merged into one,
/// so the set never holds more intervals than claims were made.
/// </summary>
/// <remarks>
/// The intervals live in a treap (a search tree by start, balanced by random priorities) whose nodes are
/// structs in one growing array, recycled through a free list: a claim splits out the intervals it touches,
/// walks them and puts one merged node back, in O(log n) expected time plus O(k) for the k intervals it
/// swallows, and allocates nothing once the array has grown to the largest set. The priorities come from a
/// fixed seed, and in any case only the shape of the tree depends on them, never a result.
/// </remarks>
internal sealed class CoveredIntervals
{
    private const int Nil = -1;

    private Node[] _nodes = new Node[64];
    private int _used;
    private int _free = Nil;
    private int _root = Nil;
    private ulong _random = 0x9E37_79B9_7F4A_7C15;

    /// <summary>Covers <c>[start, end)</c> and appends the gaps it filled to <paramref name="gaps"/>, in ascending order.</summary>
    public void ClaimGaps(ulong start, UInt128 end, List<AddressRange> gaps)
    {
        System.Diagnostics.Debug.Assert(end > start && end <= AddressSpace.End, "a claim is a non-empty span");

        // Most claims touch nothing covered: the interval starting last at or before the claim's end is then
        // clear of its start, and one descent inserts the claim whole.
        int lastBefore = LastStartingAtOrBefore(end > ulong.MaxValue ? ulong.MaxValue : (ulong)end);
        if (lastBefore == Nil || (UInt128)_nodes[lastBefore].Last + 1 < start)
        {
            gaps.Add(Gap(start, end));
            int node = NewNode(start, (ulong)(end - 1));
            _root = Insert(_root, node);
            return;
        }

        // Intervals starting in [start, end] overlap the claim or touch its end; the one before may touch its start.
        Split(_root, start, out int before, out int rest);
        int touching, after;
        if (end >= ulong.MaxValue)
        {
            (touching, after) = (rest, Nil);
        }
        else
        {
            Split(rest, (ulong)end + 1, out touching, out after);
        }

        ulong mergedStart = start;
        UInt128 mergedEnd = end;
        UInt128 cursor = start;
        if (before != Nil)
        {
            int last = RightmostOf(before);
            UInt128 lastEnd = (UInt128)_nodes[last].Last + 1;
            if (lastEnd >= start)
            {
                mergedStart = _nodes[last].Start;
                mergedEnd = UInt128.Max(mergedEnd, lastEnd);
                cursor = UInt128.Max(cursor, lastEnd);
                before = WithoutRightmost(before);
            }
        }

        Swallow(touching, gaps, ref cursor, ref mergedEnd);
        if (cursor < end)
        {
            gaps.Add(Gap(cursor, end));
        }

        int merged = NewNode(mergedStart, (ulong)(mergedEnd - 1));
        _root = Join(Join(before, merged), after);
    }

    /// <summary>Walks a subtree in order, reporting the gaps between its intervals, and frees its nodes.</summary>
    private void Swallow(int node, List<AddressRange> gaps, ref UInt128 cursor, ref UInt128 mergedEnd)
    {
        if (node == Nil)
        {
            return;
        }

        Swallow(_nodes[node].Left, gaps, ref cursor, ref mergedEnd);
        ulong nodeStart = _nodes[node].Start;
        UInt128 nodeEnd = (UInt128)_nodes[node].Last + 1;
        if (nodeStart > cursor)
        {
            gaps.Add(Gap(cursor, nodeStart));
        }

        cursor = UInt128.Max(cursor, nodeEnd);
        mergedEnd = UInt128.Max(mergedEnd, nodeEnd);
        int right = _nodes[node].Right;
        _nodes[node].Left = _free;
        _free = node;
        Swallow(right, gaps, ref cursor, ref mergedEnd);
    }

    // The constructor rather than FromBounds: each validates and formats its message even when the range
    // is fine, and FromBounds runs both checks, which a render pays for every piece.
    private static AddressRange Gap(UInt128 start, UInt128 end) => new((ulong)start, end - start);

    /// <summary>Splits a subtree into the nodes starting before <paramref name="key"/> and the rest.</summary>
    private void Split(int node, ulong key, out int below, out int atOrAbove)
    {
        if (node == Nil)
        {
            below = atOrAbove = Nil;
        }
        else if (_nodes[node].Start < key)
        {
            Split(_nodes[node].Right, key, out int middle, out atOrAbove);
            _nodes[node].Right = middle;
            below = node;
        }
        else
        {
            Split(_nodes[node].Left, key, out below, out int middle);
            _nodes[node].Left = middle;
            atOrAbove = node;
        }
    }

    /// <summary>Joins two subtrees where every start in <paramref name="low"/> is below every start in <paramref name="high"/>.</summary>
    private int Join(int low, int high)
    {
        if (low == Nil)
        {
            return high;
        }

        if (high == Nil)
        {
            return low;
        }

        if (_nodes[low].Priority > _nodes[high].Priority)
        {
            _nodes[low].Right = Join(_nodes[low].Right, high);
            return low;
        }

        _nodes[high].Left = Join(low, _nodes[high].Left);
        return high;
    }

    private int LastStartingAtOrBefore(ulong bound)
    {
        int found = Nil;
        for (int node = _root; node != Nil;)
        {
            if (_nodes[node].Start <= bound)
            {
                found = node;
                node = _nodes[node].Right;
            }
            else
            {
                node = _nodes[node].Left;
            }
        }

        return found;
    }

    /// <summary>Inserts a node whose interval overlaps and touches nothing in the subtree.</summary>
    private int Insert(int subtree, int node)
    {
        if (subtree == Nil)
        {
            return node;
        }

        if (_nodes[node].Priority > _nodes[subtree].Priority)
        {
            Split(subtree, _nodes[node].Start, out int below, out int above);
            _nodes[node].Left = below;
            _nodes[node].Right = above;
            return node;
        }

        if (_nodes[node].Start < _nodes[subtree].Start)
        {
            _nodes[subtree].Left = Insert(_nodes[subtree].Left, node);
        }
        else
        {
            _nodes[subtree].Right = Insert(_nodes[subtree].Right, node);
        }

        return subtree;
    }

    private int RightmostOf(int node)
    {
        while (_nodes[node].Right != Nil)
        {
            node = _nodes[node].Right;
        }

        return node;
    }

    /// <summary>The subtree without its rightmost node, which is freed.</summary>
    private int WithoutRightmost(int node)
    {
        if (_nodes[node].Right == Nil)
        {
            int left = _nodes[node].Left;
            _nodes[node].Left = _free;
            _free = node;
            return left;
        }

        _nodes[node].Right = WithoutRightmost(_nodes[node].Right);
        return node;
    }

    private int NewNode(ulong start, ulong last)
    {
        int node;
        if (_free != Nil)
        {
            node = _free;
            _free = _nodes[node].Left;
        }
        else
        {
            if (_used == _nodes.Length)
            {
                Array.Resize(ref _nodes, _nodes.Length * 2);
            }

            node = _used++;
        }

        // xorshift64: cheap, and deterministic so that two renders of one tree do the same work.
        _random ^= _random << 13;
        _random ^= _random >> 7;
        _random ^= _random << 17;
        _nodes[node] = new Node { Start = start, Last = last, Left = Nil, Right = Nil, Priority = (uint)_random };
        return node;
    }

    /// <summary>One interval <c>[Start, Last]</c>; the last address rather than the end keeps 2^64 out of a 64-bit field.</summary>
    private struct Node
    {
        public ulong Start;
        public ulong Last;
        public int Left;
        public int Right;
        public uint Priority;
    }
}
