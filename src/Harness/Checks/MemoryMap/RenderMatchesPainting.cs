using Verify.Harness.Scenarios;
using Verify.MemoryMap.Regions;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.MemoryMap;

/// <summary>
/// FV-01 (docs/semantics.md 2.1-2.2): after every commit the rendered view is a valid, simplified FlatView, and at every
/// boundary of the oracle's painting and of the render, both the unsimplified and the simplified view show what the
/// oracle paints on its own tree (edited by the same steps apart from the model's).
/// </summary>
public sealed class RenderMatchesPainting() : ScenarioCheck("FV-01")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Step is not CommitStep || context.Machine.LastTransaction is not { } t || context.Machine.MemoryMap.OracleTree is not { } oracle)
        {
            return;
        }

        var (raw, view) = (t.Unsimplified, t.New);
        context.Expect(FlatViewOracle.IsValid(view.Ranges) && FlatViewOracle.Simplify(view.Ranges).SequenceEqual(view.Ranges),
            () => $"transaction {t.Number}: render gave an invalid or unsimplified view:\n{view}");
        var points = Probes.AddEdges(new SortedSet<ulong>(), raw, view);
        foreach (ulong b in RegionTreePainter.Boundaries(oracle))
        {
            Probes.Add(points, b);
        }

        bool stalePriority = false;
        var placed = oracle.Placements.Select(p => p.Child).ToHashSet(StringComparer.Ordinal);
        foreach (ulong a in points)
        {
            var expected = RegionTreePainter.Resolve(oracle, a);
            stalePriority |= expected is { Priority: not 0 } && !placed.Contains(expected.Region);
            var unsimplified = FlatViewOracle.Lookup(raw.Ranges, a);
            var simplified = FlatViewOracle.Lookup(view.Ranges, a);
            if (!context.Expect(unsimplified == expected,
                    () => $"transaction {t.Number}: address 0x{a:x}: render shows {Probes.Show(unsimplified)}, the oracle paints {Probes.Show(expected)}"))
            {
                continue;
            }

            context.Expect(Probes.WithoutPriority(simplified) == Probes.WithoutPriority(expected),
                () => $"transaction {t.Number}: address 0x{a:x}: the simplified render shows {Probes.Show(simplified)}, the oracle paints {Probes.Show(expected)}");
        }

        context.Label(view.Count < raw.Count, "simplify merged ranges");
        context.Label(stalePriority, "unplaced region shows its last priority");
        context.Label(view.Ranges.Any(r => r.Range.EndsAtTop), "range ends at 2^64");
        context.Label(oracle.Placements.GroupBy(p => (p.Parent, p.Priority)).Any(g => g.Count() > 1), "priority tie");
        context.Label(oracle.Regions.Any(r => r.Kind == RegionKind.Alias), "alias");
        context.Label(oracle.Regions.Any(r => r.Size == Verify.MemoryMap.AddressSpace.End && r.Name != oracle.Root), "2^64-sized region");
        context.Label(oracle.Regions.Any(r => !r.Enabled), "disabled region");
        context.Label(t.Number > 1, "with transactions");
    }
}
