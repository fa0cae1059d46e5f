using System.Collections.Immutable;
using Verify.MemoryMap.Flat;

namespace Verify.Vfio;

/// <summary>
/// The DMA-visible translation of a view: for every section the vfio listener would map, its mapping; sorted,
/// disjoint. Translation of an IOVA is a binary search. This is what a coalescing listener compares before
/// and after a transaction, instead of the ranges.
/// </summary>
public sealed class DmaMap
{
    private DmaMap(ImmutableArray<DmaMapping> mappings, ImmutableArray<DmaSection> sections)
    {
        Mappings = mappings;
        Sections = sections;
    }

    /// <summary>The map of nothing.</summary>
    public static DmaMap Empty { get; } = new([], []);

    /// <summary>One mapping per mapped section, ascending, disjoint (adjacent ones are not joined).</summary>
    public ImmutableArray<DmaMapping> Mappings { get; }

    /// <summary>Every section of the view with the listener's decision.</summary>
    public ImmutableArray<DmaSection> Sections { get; }

    /// <summary>The DMA-visible map of <paramref name="view"/>.</summary>
    /// <param name="view">A FlatView (simplified, as listeners see it).</param>
    /// <param name="options">The listener's section options.</param>
    /// <returns>The map.</returns>
    public static DmaMap Of(FlatView view, DmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        var sections = ImmutableArray.CreateBuilder<DmaSection>(view.Count);
        var mappings = ImmutableArray.CreateBuilder<DmaMapping>(view.Count);
        foreach (var r in view.Ranges)
        {
            var s = DmaSection.Of(r, options);
            sections.Add(s);
            if (s.Mapping is { } m)
            {
                mappings.Add(m);
            }
        }

        return new DmaMap(mappings.Count == mappings.Capacity ? mappings.MoveToImmutable() : mappings.ToImmutable(), sections.MoveToImmutable());
    }

    /// <summary>What a device reaches at <paramref name="iova"/>, or null when nothing is mapped there.</summary>
    /// <param name="iova">An IOVA.</param>
    /// <returns>The translation or null.</returns>
    public DmaTranslation? Translate(ulong iova)
    {
        int lo = 0, hi = Mappings.Length - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            var m = Mappings[mid];
            if (iova < m.Iova.Start)
            {
                hi = mid - 1;
            }
            else if (iova >= m.Iova.End)
            {
                lo = mid + 1;
            }
            else
            {
                return m.TranslationAt(iova);
            }
        }

        return null;
    }

    /// <summary>The maximal linear runs of the map: adjacent mappings that continue each other joined. Two maps
    /// with equal runs translate every IOVA the same way.</summary>
    /// <returns>The runs, ascending.</returns>
    public ImmutableArray<DmaMapping> Runs() => RunsOf(Mappings);

    /// <summary>The maximal linear runs of any ascending, disjoint mappings (a container's live mappings, say):
    /// two lists with equal runs translate every IOVA the same way, however they are cut.</summary>
    /// <param name="mappings">Ascending, disjoint mappings.</param>
    /// <returns>The runs, ascending.</returns>
    public static ImmutableArray<DmaMapping> RunsOf(IEnumerable<DmaMapping> mappings)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        var runs = ImmutableArray.CreateBuilder<DmaMapping>();
        foreach (var m in mappings)
        {
            if (runs.Count > 0 && runs[^1].IsContinuedBy(m))
            {
                runs[^1] = runs[^1] with { Iova = AddressRange.FromBounds(runs[^1].Iova.Start, m.Iova.End) };
            }
            else
            {
                runs.Add(m);
            }
        }

        return runs.ToImmutable();
    }
}
