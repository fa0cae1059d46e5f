using System.Collections;

namespace Verify.IommuModel.Host;

/// <summary>
/// A list kept as an implicit treap: every node knows its subtree's size, so reading or writing at an index,
/// inserting at an index and removing a range cost O(log n) expected, and a monotone predicate finds its first
/// true item in O(log n). The type1 mappings and the host's pin runs are kept sorted in one, so a call in the middle
/// of 65,535 of them does not move the rest as <see cref="List{T}"/> would.
/// </summary>
/// <typeparam name="T">The items.</typeparam>
/// <remarks>Priorities come from a fixed-seed generator, so the shape (and so the cost) of a run repeats; the
/// contents never depend on it. Enumerating is O(n), <see cref="EnumerateFrom"/> O(log n + k). Modifying the list
/// while enumerating it throws, as with <see cref="List{T}"/>. Not thread-safe.</remarks>
public sealed class OrderStatisticList<T> : IReadOnlyList<T>
{
    private Node? _root;
    private uint _seed = 0x9E37_79B9;
    private int _version;

    /// <summary>Creates an empty list.</summary>
    public OrderStatisticList()
    {
    }

    /// <inheritdoc/>
    public int Count => Size(_root);

    /// <summary>The item at <paramref name="index"/>. O(log n).</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the list.</exception>
    public T this[int index]
    {
        get => NodeAt(index).Value;
        set
        {
            NodeAt(index).Value = value;
            _version++;
        }
    }

    /// <summary>Inserts <paramref name="item"/> so that it ends up at <paramref name="index"/>. O(log n).</summary>
    /// <param name="index">From 0 to <see cref="Count"/>.</param>
    /// <param name="item">The item.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index outside 0..Count.</exception>
    public void Insert(int index, T item) => ReplaceRange(index, 0, [item]);

    /// <summary>Inserts <paramref name="items"/>, in order, from <paramref name="index"/>. O(k log k + log n).</summary>
    /// <param name="index">From 0 to <see cref="Count"/>.</param>
    /// <param name="items">The items.</param>
    /// <exception cref="ArgumentNullException">Null items.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index outside 0..Count.</exception>
    public void InsertRange(int index, IEnumerable<T> items) => ReplaceRange(index, 0, items);

    /// <summary>Removes the item at <paramref name="index"/>. O(log n).</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the list.</exception>
    public void RemoveAt(int index) => RemoveRange(index, 1);

    /// <summary>Removes <paramref name="count"/> items from <paramref name="index"/>. O(log n), whatever the count.</summary>
    /// <param name="index">The first removed.</param>
    /// <param name="count">How many; 0 removes nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative index or count, or a range past the end.</exception>
    public void RemoveRange(int index, int count) => ReplaceRange(index, count, []);

    /// <summary>Replaces <paramref name="count"/> items from <paramref name="index"/> with <paramref name="items"/>, in
    /// order: a removal and an insertion at the same place for the price of one. O(k log k + log n) for k items inserted.</summary>
    /// <param name="index">The first replaced.</param>
    /// <param name="count">How many are removed; 0 inserts only.</param>
    /// <param name="items">What takes their place; empty removes only.</param>
    /// <exception cref="ArgumentNullException">Null items.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative index or count, or a range past the end.</exception>
    public void ReplaceRange(int index, int count, IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count - index);
        Node? middle = null;
        foreach (var item in items)
        {
            middle = Merge(middle, new Node(item, NextPriority()));
        }

        var (left, rest) = Split(_root, index);
        var (_, right) = Split(rest, count);
        _root = Merge(Merge(left, middle), right);
        _version++;
    }

    /// <summary>Removes every item.</summary>
    public void Clear()
    {
        _root = null;
        _version++;
    }

    /// <summary>The index of the first item <paramref name="isAtOrPast"/> holds for (<see cref="Count"/> when none),
    /// for a predicate that is false up to some index and true from there on (such as "ends after an address" over
    /// items sorted and disjoint). O(log n).</summary>
    /// <typeparam name="TState">What the predicate compares against, passed so it need not capture it.</typeparam>
    /// <param name="state">The predicate's argument.</param>
    /// <param name="isAtOrPast">The monotone predicate.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentNullException">A null predicate.</exception>
    public int FirstIndexWhere<TState>(TState state, Func<T, TState, bool> isAtOrPast)
    {
        ArgumentNullException.ThrowIfNull(isAtOrPast);
        int found = Count, skipped = 0;
        var node = _root;
        while (node is not null)
        {
            if (isAtOrPast(node.Value, state))
            {
                found = skipped + Size(node.Left);
                node = node.Left;
            }
            else
            {
                skipped += Size(node.Left) + 1;
                node = node.Right;
            }
        }

        return found;
    }

    /// <summary>The items from <paramref name="index"/> on, in order; stop early to pay only for what is read.
    /// O(log n + k) for k items read.</summary>
    /// <param name="index">From 0 to <see cref="Count"/>.</param>
    /// <returns>The items.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index outside 0..Count.</exception>
    public IEnumerable<T> EnumerateFrom(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Count);
        return EnumerateFromCore(index);
    }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => EnumerateFromCore(0).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int Size(Node? node) => node?.Size ?? 0;

    private IEnumerable<T> EnumerateFromCore(int index)
    {
        int version = _version;

        // The path to the item at index, keeping only the nodes still to visit (those the descent went left at).
        var pending = new Stack<Node>();
        var node = _root;
        while (node is not null)
        {
            int left = Size(node.Left);
            if (index <= left)
            {
                pending.Push(node);
                node = node.Left;
            }
            else
            {
                index -= left + 1;
                node = node.Right;
            }
        }

        while (pending.Count > 0)
        {
            var next = pending.Pop();
            yield return next.Value;
            if (version != _version)
            {
                throw new InvalidOperationException("the list changed while it was enumerated");
            }

            for (var down = next.Right; down is not null; down = down.Left)
            {
                pending.Push(down);
            }
        }
    }

    private Node NodeAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var node = _root!;
        while (true)
        {
            int left = Size(node.Left);
            if (index == left)
            {
                return node;
            }

            if (index < left)
            {
                node = node.Left!;
            }
            else
            {
                index -= left + 1;
                node = node.Right!;
            }
        }
    }

    private uint NextPriority()
    {
        // xorshift32: cheap, deterministic, and good enough to keep the treap's depth logarithmic.
        _seed ^= _seed << 13;
        _seed ^= _seed >> 17;
        _seed ^= _seed << 5;
        return _seed;
    }

    /// <summary>The first <paramref name="count"/> items of <paramref name="node"/>'s subtree, and the rest.</summary>
    private static (Node? Left, Node? Right) Split(Node? node, int count)
    {
        if (node is null)
        {
            return (null, null);
        }

        int left = Size(node.Left);
        if (count <= left)
        {
            var (ll, lr) = Split(node.Left, count);
            node.Left = lr;
            node.Update();
            return (ll, node);
        }

        var (rl, rr) = Split(node.Right, count - left - 1);
        node.Right = rl;
        node.Update();
        return (node, rr);
    }

    /// <summary>The items of <paramref name="left"/> followed by those of <paramref name="right"/>.</summary>
    private static Node? Merge(Node? left, Node? right)
    {
        if (left is null)
        {
            return right;
        }

        if (right is null)
        {
            return left;
        }

        if (left.Priority >= right.Priority)
        {
            left.Right = Merge(left.Right, right);
            left.Update();
            return left;
        }

        right.Left = Merge(left, right.Left);
        right.Update();
        return right;
    }

    private sealed class Node(T value, uint priority)
    {
        public T Value { get; set; } = value;

        public uint Priority { get; } = priority;

        public Node? Left { get; set; }

        public Node? Right { get; set; }

        public int Size { get; private set; } = 1;

        public void Update() => Size = 1 + OrderStatisticList<T>.Size(Left) + OrderStatisticList<T>.Size(Right);
    }
}
