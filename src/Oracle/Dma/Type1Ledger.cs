using Verify.MemoryMap;
using Verify.Vfio;

namespace Verify.Oracle.Dma;

/// <summary>
/// The kernel's MAP/UNMAP legality over a plain list of mappings (docs/semantics.md 5.1-5.2, listener subset):
/// a MAP overlapping a live mapping is EEXIST, past the entry limit ENOSPC; an UNMAP that starts or ends inside
/// a mapping is EINVAL under type1 v2 (checked before anything is removed), otherwise it removes every mapping
/// inside and returns the sum of their sizes. A bisect-capable backend instead removes exactly the range.
/// </summary>
public sealed class Type1Ledger
{
    private readonly List<DmaMapping> _mappings = [];
    private readonly DmaBackendTraits _traits;

    /// <summary>Creates a ledger holding <paramref name="initial"/>.</summary>
    /// <param name="traits">Backend rules.</param>
    /// <param name="initial">Mappings already live.</param>
    public Type1Ledger(DmaBackendTraits traits, IEnumerable<DmaMapping>? initial = null)
    {
        _traits = traits ?? throw new ArgumentNullException(nameof(traits));
        _mappings.AddRange(initial ?? []);
    }

    /// <summary>The live mappings, in the order they were made.</summary>
    public IReadOnlyList<DmaMapping> Mappings => _mappings;

    /// <summary>Applies one operation.</summary>
    /// <param name="operation">The ioctl.</param>
    /// <returns>Its errno and reported size.</returns>
    public DmaResult Apply(DmaOperation operation) => operation switch
    {
        DmaOperation.Map m => Map(m.Mapping),
        DmaOperation.Unmap u => Unmap(u.Iova.Start, (UInt128)u.Iova.Start + u.Iova.Size),
        _ => UnmapAll(),
    };

    private DmaResult Map(DmaMapping m)
    {
        UInt128 start = m.Iova.Start, end = start + m.Iova.Size;
        if (end == start)
        {
            return DmaResult.Fail(Errno.EINVAL);
        }

        foreach (var x in _mappings)
        {
            UInt128 xs = x.Iova.Start, xe = xs + x.Iova.Size;
            if (start < xe && xs < end)
            {
                return DmaResult.Fail(Errno.EEXIST);
            }
        }

        if (_mappings.Count >= _traits.EntryLimit)
        {
            return DmaResult.Fail(Errno.ENOSPC);
        }

        _mappings.Add(m);
        return DmaResult.Ok(end - start);
    }

    private DmaResult Unmap(UInt128 start, UInt128 end)
    {
        if (end == start)
        {
            return DmaResult.Ok(0);
        }

        if (!_traits.UnmapMayBisect)
        {
            foreach (var x in _mappings)
            {
                UInt128 xs = x.Iova.Start, xe = xs + x.Iova.Size;
                bool startInside = xs < start && start < xe;
                bool lastInside = xs <= end - 1 && end - 1 < xe - 1;
                if (startInside || lastInside)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }
            }

            UInt128 removed = 0;
            for (int i = _mappings.Count - 1; i >= 0; i--)
            {
                UInt128 xs = _mappings[i].Iova.Start, xe = xs + _mappings[i].Iova.Size;
                if (xs >= start && xe <= end)
                {
                    removed += xe - xs;
                    _mappings.RemoveAt(i);
                }
            }

            return DmaResult.Ok(removed);
        }

        UInt128 cut = 0;
        var kept = new List<DmaMapping>();
        foreach (var x in _mappings)
        {
            UInt128 xs = x.Iova.Start, xe = xs + x.Iova.Size;
            if (xe <= start || xs >= end)
            {
                kept.Add(x);
                continue;
            }

            if (xs < start)
            {
                kept.Add(x with { Iova = AddressRange.FromBounds(x.Iova.Start, start) });
            }

            if (xe > end)
            {
                kept.Add(x with { Iova = AddressRange.FromBounds((ulong)end, xe), Offset = x.Offset + (ulong)(end - xs) });
            }

            cut += UInt128.Min(xe, end) - UInt128.Max(xs, start);
        }

        _mappings.Clear();
        _mappings.AddRange(kept);
        return DmaResult.Ok(cut);
    }

    private DmaResult UnmapAll()
    {
        UInt128 total = 0;
        foreach (var x in _mappings)
        {
            total += x.Iova.Size;
        }

        _mappings.Clear();
        return DmaResult.Ok(total);
    }
}
