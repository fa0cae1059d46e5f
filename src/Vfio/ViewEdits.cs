using System.Collections.Immutable;
using Verify.MemoryMap.Flat;

namespace Verify.Vfio;

/// <summary>The callbacks of one transaction, buffered so a listener can rebuild the new view at commit:
/// delete the deleted ranges, replace the nop'd ones (their dirty mask may have changed), insert the added ones.</summary>
internal sealed class ViewEdits
{
    private readonly List<FlatRange> _deleted = [];
    private readonly List<FlatRange> _kept = [];
    private readonly List<FlatRange> _added = [];

    public void Clear()
    {
        _deleted.Clear();
        _kept.Clear();
        _added.Clear();
    }

    public void Delete(in FlatRange range) => _deleted.Add(range);

    public void Keep(in FlatRange range) => _kept.Add(range);

    public void Add(in FlatRange range) => _added.Add(range);

    /// <summary>The view after the buffered callbacks.</summary>
    /// <exception cref="InvalidOperationException">A deleted range is not in <paramref name="old"/>, or the result
    /// is not a valid view: the callbacks do not describe a transaction of that view.</exception>
    public FlatView ApplyTo(FlatView old)
    {
        if (_deleted.Count == 0 && _added.Count == 0 && _kept.Count == 0)
        {
            return old;
        }

        // QEMU delivers each pass in ascending order; sorting keeps hand-driven listeners honest at no cost then.
        SortIfNeeded(_deleted);
        SortIfNeeded(_kept);
        SortIfNeeded(_added);
        var survivors = new List<FlatRange>(old.Count);
        int pd = 0, pk = 0;
        foreach (var o in old.Ranges)
        {
            if (pd < _deleted.Count && _deleted[pd].Range == o.Range)
            {
                pd++;
            }
            else if (pk < _kept.Count && _kept[pk].Range == o.Range)
            {
                survivors.Add(_kept[pk++]);
            }
            else
            {
                survivors.Add(o);
            }
        }

        Preconditions.CheckState(pd == _deleted.Count, $"region_del of {(pd < _deleted.Count ? _deleted[pd].ToString() : "")} which is not in the current view");
        var result = ImmutableArray.CreateBuilder<FlatRange>(survivors.Count + _added.Count);
        int s = 0, a = 0;
        while (s < survivors.Count || a < _added.Count)
        {
            if (a >= _added.Count || (s < survivors.Count && survivors[s].Range.Start < _added[a].Range.Start))
            {
                result.Add(survivors[s++]);
            }
            else
            {
                result.Add(_added[a++]);
            }
        }

        if (FlatView.FindDefect(result) is { } defect)
        {
            throw new InvalidOperationException($"the transaction's callbacks do not give a valid view: {defect}");
        }

        return FlatView.CreateTrusted(result.ToImmutable());
    }

    // A sort of a million ranges QEMU already delivered in order costs more than the rest of the commit; one
    // comparison per range finds out.
    private static void SortIfNeeded(List<FlatRange> ranges)
    {
        for (int i = 1; i < ranges.Count; i++)
        {
            if (ranges[i - 1].Range.CompareTo(ranges[i].Range) > 0)
            {
                ranges.Sort(static (a, b) => a.Range.CompareTo(b.Range));
                return;
            }
        }
    }
}
