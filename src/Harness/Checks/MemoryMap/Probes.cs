using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.MemoryMap;

/// <summary>Where two views (or a view and a painting) can differ: every range edge and the byte before it. Between
/// neighbouring probes both sides show one region at consecutive offsets, so the probes decide everything.</summary>
internal static class Probes
{
    /// <summary>Each range's start, its end and the byte before each, and the top of the space.</summary>
    /// <param name="points">Where to add them.</param>
    /// <param name="views">The views.</param>
    /// <returns><paramref name="points"/>.</returns>
    public static SortedSet<ulong> AddEdges(SortedSet<ulong> points, params FlatView[] views)
    {
        points.Add(0);
        points.Add(ulong.MaxValue);
        foreach (var r in views.SelectMany(v => v.Ranges))
        {
            Add(points, r.Range.Start);
            Add(points, r.Range.End);
        }

        return points;
    }

    /// <summary>A boundary and the byte before it.</summary>
    /// <param name="points">Where to add them.</param>
    /// <param name="at">The boundary (may be 2^64).</param>
    public static void Add(SortedSet<ulong> points, UInt128 at)
    {
        if (at < AddressSpace.End)
        {
            points.Add((ulong)at);
        }

        if (at > 0 && at <= AddressSpace.End)
        {
            points.Add((ulong)(at - 1));
        }
    }

    /// <summary>A painted page without the placement priority (a simplified view keeps the first range's).</summary>
    /// <param name="page">A page or null.</param>
    /// <returns>The page with priority 0.</returns>
    public static PaintedPage? WithoutPriority(PaintedPage? page) => page is null ? null : page with { Priority = 0 };

    /// <summary>A page for a message.</summary>
    /// <param name="page">A page or null.</param>
    /// <returns>Its text or <c>nothing</c>.</returns>
    public static string Show(PaintedPage? page) => page?.ToString() ?? "nothing";
}
