using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Text;
using Verify.MemoryMap.Topology;

namespace Verify.Qemu;

/// <summary>
/// One address space's change between two consecutive recorded captures, as our topology diff sees QEMU's
/// recorded views: the callback counts, whether ranges of one region were merged or split, and the naive
/// listener's collateral.
/// </summary>
/// <param name="Step">The step of the later capture.</param>
/// <param name="Label">Its label.</param>
/// <param name="AddressSpace">The address space.</param>
/// <param name="Deletes"><c>region_del</c> callbacks.</param>
/// <param name="Adds"><c>region_add</c> callbacks.</param>
/// <param name="Nops"><c>region_nop</c> callbacks.</param>
/// <param name="IsMerge">An added range covers two or more deleted ranges of its region (A + B -&gt; A').</param>
/// <param name="IsSplit">A deleted range is covered by two or more added ranges of its region (A -&gt; A' + B).</param>
/// <param name="Collateral">The 4 KiB pages a naive listener unmaps and maps again with the same translation,
/// as coalesced ranges: pages inside a deleted RAM range (kind Ram or RamDevice, ROM included) and inside an
/// added range of the same region, offset and permission.</param>
public sealed record QemuTransition(
    int Step, string Label, string AddressSpace, int Deletes, int Adds, int Nops, bool IsMerge, bool IsSplit,
    ImmutableArray<AddressRange> Collateral)
{
    /// <summary>The naive listener's page size.</summary>
    public const ulong PageSize = 4096;

    /// <summary>Number of collateral pages.</summary>
    public ulong CollateralPages => Collateral.Aggregate(0UL, (sum, r) => sum + (ulong)(r.Size / PageSize));
}

/// <summary>The transitions recorded in a transcript, and their summary as the Markdown of <c>tests/Qemu/TRANSITIONS.md</c>.</summary>
/// <remarks>
/// The recorded views identify a region by its printed name only, so two distinct regions printed with one name
/// (the I/O space has two <c>pic</c>s and four <c>ide</c>s) would look alike to the diff if one replaced the other
/// at the same range and offset. <c>QemuFixtureRenderTests</c> checks that this never happens in the committed
/// fixtures: there the diff of the recorded views equals the diff of our renders, which keep such regions apart.
/// </remarks>
public static class QemuTransitions
{
    /// <summary>Every address space whose view is printed in both captures, with its view before and after.</summary>
    /// <param name="before">A capture.</param>
    /// <param name="after">The next capture.</param>
    /// <returns>(address space, old view, new view) in the later capture's printed order.</returns>
    public static IEnumerable<(string AddressSpace, FlatView Before, FlatView After)> RecordedPairs(QemuCapture before, QemuCapture after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var old = Views(before);
        foreach (var (name, view) in Views(after))
        {
            if (old.FirstOrDefault(o => o.Name == name) is { View: { } oldView })
            {
                yield return (name, oldView, view);
            }
        }
    }

    /// <summary>Every transition of a transcript that changes something (a delete or an add), in step order.</summary>
    /// <param name="transcript">A recorded transcript.</param>
    /// <returns>The transitions.</returns>
    public static ImmutableArray<QemuTransition> Compute(QemuTranscript transcript)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        var result = ImmutableArray.CreateBuilder<QemuTransition>();
        for (int i = 1; i < transcript.Captures.Length; i++)
        {
            var after = transcript.Captures[i];
            foreach (var (name, oldView, newView) in RecordedPairs(transcript.Captures[i - 1], after))
            {
                var events = TopologyDiff.Compute(oldView, newView);
                var deleted = events.Where(e => e.Kind == TopologyEventKind.Delete).Select(e => e.Range).ToList();
                var added = events.Where(e => e.Kind == TopologyEventKind.Add).Select(e => e.Range).ToList();
                if (deleted.Count + added.Count == 0)
                {
                    continue;
                }

                result.Add(new QemuTransition(after.Step, after.Label, name, deleted.Count, added.Count,
                    events.Count(e => e.Kind == TopologyEventKind.Nop),
                    added.Any(a => SameRegionOverlaps(a, deleted) >= 2),
                    deleted.Any(d => SameRegionOverlaps(d, added) >= 2),
                    Collateral(deleted, added)));
            }
        }

        return result.ToImmutable();
    }

    /// <summary>The Markdown summary of the given transcripts: one table per fixture and a total.</summary>
    /// <param name="fixtures">(fixture file name, transcript) pairs, in the order to print.</param>
    /// <returns>The text, ending in a line break.</returns>
    public static string ToMarkdown(IEnumerable<(string Fixture, QemuTranscript Transcript)> fixtures)
    {
        ArgumentNullException.ThrowIfNull(fixtures);
        var text = new StringBuilder();
        text.Append("# Recorded transitions\n\n")
            .Append("Generated by `verify qemu transitions --out tests/Qemu/TRANSITIONS.md tests/Qemu/Fixtures/*.transcript`;\n")
            .Append("a test fails when it is out of date. One row per step and address space whose recorded view changed,\n")
            .Append("computed with our topology diff on QEMU's recorded `info mtree -f` views. **merge**: an added range\n")
            .Append("covers two or more deleted ranges of its region; **split**: a deleted range is covered by two or more\n")
            .Append("added ranges of its region. **collateral**: 4 KiB pages of RAM ranges that the naive listener (QEMU's\n")
            .Append("vfio today) unmaps and maps again with the same region, offset and permission.\n");
        var all = new List<QemuTransition>();
        foreach (var (fixture, transcript) in fixtures)
        {
            var transitions = Compute(transcript);
            text.Append(CultureInfo.InvariantCulture, $"\n## {fixture}\n\n");
            text.Append("| step | label | AS | dels | adds | nops | merge/split | collateral pages |\n");
            text.Append("|---:|---|---|---:|---:|---:|---|---:|\n");
            foreach (var t in transitions)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"| {t.Step} | {t.Label.Replace("|", "\\|", StringComparison.Ordinal)} | {t.AddressSpace} | {t.Deletes} | {t.Adds} | {t.Nops} | {Shape(t)} | {t.CollateralPages} |\n");
            }

            all.AddRange(transitions);
        }

        // Address spaces that share a view (memory and cpu-memory-0) repeat each other's rows; vfio listens on "memory".
        text.Append("\n## Total per address space\n\n| AS | transitions | merges | splits | collateral pages |\n|---|---:|---:|---:|---:|\n");
        foreach (var group in all.GroupBy(t => t.AddressSpace).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| {group.Key} | {group.Count()} | {group.Count(t => t.IsMerge)} | {group.Count(t => t.IsSplit)} | {group.Aggregate(0UL, (sum, t) => sum + t.CollateralPages)} |\n");
        }

        return text.ToString();
    }

    /// <summary>The column text for merge/split.</summary>
    /// <param name="transition">A transition.</param>
    /// <returns><c>merge</c>, <c>split</c>, <c>merge+split</c> or <c>-</c>.</returns>
    public static string Shape(QemuTransition transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return (transition.IsMerge, transition.IsSplit) switch
        {
            (true, true) => "merge+split",
            (true, false) => "merge",
            (false, true) => "split",
            _ => "-",
        };
    }

    private static List<(string Name, FlatView View)> Views(QemuCapture capture) =>
        [.. MtreeFlatText.Read(capture.Flat).Sections.SelectMany(s => s.AddressSpaces.Select(a => (a.Name, s.View)))];

    private static int SameRegionOverlaps(FlatRange range, List<FlatRange> others) =>
        others.Count(o => o.Region == range.Region && o.Range.Overlaps(range.Range));

    /// <summary>Pages inside a deleted RAM range and an added range showing the same region, offset and permission.</summary>
    private static ImmutableArray<AddressRange> Collateral(List<FlatRange> deleted, List<FlatRange> added)
    {
        var pages = new SortedSet<ulong>();
        foreach (var d in deleted.Where(d => d.Kind is Verify.MemoryMap.Regions.RegionKind.Ram or Verify.MemoryMap.Regions.RegionKind.RamDevice))
        {
            foreach (var a in added.Where(a => a.Region == d.Region && a.Kind == d.Kind && a.ReadOnly == d.ReadOnly
                && (Int128)a.Range.Start - a.OffsetInRegion == (Int128)d.Range.Start - d.OffsetInRegion))
            {
                UInt128 start = UInt128.Max(d.Range.Start, a.Range.Start);
                UInt128 end = UInt128.Min(d.Range.End, a.Range.End);
                // Only whole pages: vfio maps a section's page-aligned interior.
                for (UInt128 page = (start + QemuTransition.PageSize - 1) / QemuTransition.PageSize * QemuTransition.PageSize; page + QemuTransition.PageSize <= end; page += QemuTransition.PageSize)
                {
                    pages.Add((ulong)page);
                }
            }
        }

        var runs = ImmutableArray.CreateBuilder<AddressRange>();
        ulong? runStart = null;
        ulong previous = 0;
        foreach (ulong page in pages)
        {
            if (runStart is { } s && page != previous + QemuTransition.PageSize)
            {
                runs.Add(AddressRange.FromBounds(s, (UInt128)previous + QemuTransition.PageSize));
                runStart = null;
            }

            runStart ??= page;
            previous = page;
        }

        if (runStart is { } last)
        {
            runs.Add(AddressRange.FromBounds(last, (UInt128)previous + QemuTransition.PageSize));
        }

        return runs.ToImmutable();
    }
}
