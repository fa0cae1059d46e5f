using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Running;
using Verify.Harness.Variants;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Suites;

/// <summary>FV-01..FV-04 (PROPERTIES.md): render, FlatView validation and simplify, checked against the oracle.</summary>
[PropertySuite("FlatView")]
public static class FlatViewProperties
{
    /// <summary>The suite's properties.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("FV-01", "P_FV_01_RenderMatchesOraclePainting", "FlatView", RenderMatchesOraclePainting),
        new("FV-02", "P_FV_02_FlatViewIsValidatedAndRefusesInvalidInput", "FlatView", FlatViewIsValidated),
        new("FV-03", "P_FV_03_SimplifyPreservesTranslation", "FlatView", SimplifyPreservesTranslation),
        new("FV-04", "P_FV_04_SimplifyIsIdempotentAndComplete", "FlatView", SimplifyIsIdempotentAndComplete),
    ];

    /// <summary>Views to simplify: direct range lists, the same with neighbours that differ only in read-only or
    /// unmergeable, and unsimplified renders of generated trees.</summary>
    private static Arbitrary<FlatRangesCase> ViewsToSimplify { get; } = Arb.From(
        Gen.Frequency(
            (1, MemoryMapGenerators.ValidRangeLists.Generator),
            (1, from c in MemoryMapGenerators.ValidRangeLists.Generator select NeighboursContinued(c)),
            (1, from t in MemoryMapGenerators.TreeCases.Generator select new FlatRangesCase(t.Grid, t.Build().RenderUnsimplified().Ranges))),
        c => c.Shrink().Where(s => FlatView.FindDefect(s.Ranges) is null));

    /// <summary>FV-01 over <paramref name="implementation"/>; with <see cref="MemoryMapImplementation.Model"/> this is
    /// the catalogued property.</summary>
    /// <param name="implementation">The render and simplify to check; tests pass a broken variant to see it fail.</param>
    /// <returns>The property, under FV-01's id and name.</returns>
    public static PropertyDefinition RenderMatchesOraclePainting(MemoryMapImplementation implementation) =>
        Catalogued("FV-01", () => RenderMatchesOraclePaintingOf(implementation));

    /// <summary>FV-03 over <paramref name="implementation"/>, as <see cref="RenderMatchesOraclePainting(MemoryMapImplementation)"/>.</summary>
    /// <param name="implementation">The simplify to check.</param>
    /// <returns>The property, under FV-03's id and name.</returns>
    public static PropertyDefinition SimplifyPreservesTranslation(MemoryMapImplementation implementation) =>
        Catalogued("FV-03", () => SimplifyPreservesTranslationOf(implementation));

    /// <summary>FV-04 over <paramref name="implementation"/>, as <see cref="RenderMatchesOraclePainting(MemoryMapImplementation)"/>.</summary>
    /// <param name="implementation">The simplify to check.</param>
    /// <returns>The property, under FV-04's id and name.</returns>
    public static PropertyDefinition SimplifyIsIdempotentAndComplete(MemoryMapImplementation implementation) =>
        Catalogued("FV-04", () => SimplifyIsIdempotentAndCompleteOf(implementation));

    private static PropertyDefinition Catalogued(string id, Func<Property> build) => Definitions.Single(d => d.Id == id) with { Build = build };

    private static Property RenderMatchesOraclePainting() => RenderMatchesOraclePaintingOf(MemoryMapImplementation.Model);

    private static Property SimplifyPreservesTranslation() => SimplifyPreservesTranslationOf(MemoryMapImplementation.Model);

    private static Property SimplifyIsIdempotentAndComplete() => SimplifyIsIdempotentAndCompleteOf(MemoryMapImplementation.Model);

    // Independent attributes rarely make two neighbours that merge but for one flag, so a merge rule that forgets
    // read-only or unmergeable went unnoticed in half the runs: here each range that starts where its predecessor
    // ends continues the predecessor's region at the next offset and keeps only its own read-only and unmergeable.
    private static FlatRangesCase NeighboursContinued(FlatRangesCase c)
    {
        var ranges = c.Ranges.ToBuilder();
        for (int i = 1; i < ranges.Count; i++)
        {
            var (before, r) = (ranges[i - 1], ranges[i]);
            if (before.Range.End == r.Range.Start && before.OffsetInRegion + before.Range.Size < AddressSpace.End)
            {
                ranges[i] = before with
                {
                    Range = r.Range,
                    OffsetInRegion = (ulong)(before.OffsetInRegion + before.Range.Size),
                    ReadOnly = r.ReadOnly,
                    Unmergeable = r.Unmergeable,
                };
            }
        }

        var continued = ranges.ToImmutable();
        return FlatView.FindDefect(continued) is null ? c with { Ranges = continued } : c;
    }

    private static Property RenderMatchesOraclePaintingOf(MemoryMapImplementation implementation) =>
        Prop.ForAll(MemoryMapGenerators.TransactionCases, c =>
        {
            var verdict = new Verdict();
            var models = c.ModelTrees();
            var data = c.DataSteps();
            bool merged = false, topEnd = false, tie = false;
            for (int step = 0; step < models.Count && verdict.Holds; step++)
            {
                var oracleTree = data[step].Build();
                var raw = implementation.RenderUnsimplified(models[step]);
                var view = implementation.Render(models[step]);
                merged |= view.Count < raw.Count;
                topEnd |= view.Ranges.Any(r => r.Range.EndsAtTop);
                tie |= models[step].Regions.Any(r => r.Subregions.GroupBy(s => s.Priority).Any(g => g.Count() > 1));
                verdict.Expect(FlatView.FindDefect(view.Ranges) is null && view.IsSimplified, () => $"step {step}: render gave an invalid or unsimplified view:\n{view}");
                foreach (ulong a in SamplePoints(c.Tree.Grid, raw, view))
                {
                    var expected = RegionTreePainter.Resolve(oracleTree, a);
                    var unsimplified = FlatViewOracle.Lookup(raw.Ranges, a);
                    var simplified = FlatViewOracle.Lookup(view.Ranges, a);
                    verdict.Expect(unsimplified == expected,
                        () => $"step {step}: address 0x{a:x}: render shows {Show(unsimplified)}, the oracle paints {Show(expected)}");
                    verdict.Expect(WithoutPriority(simplified) == WithoutPriority(expected),
                        () => $"step {step}: address 0x{a:x}: simplified render shows {Show(simplified)}, the oracle paints {Show(expected)}");
                }
            }

            return verdict
                .Classify(merged, "simplify merged ranges")
                .Classify(topEnd, "range ends at 2^64")
                .Classify(tie, "priority tie")
                .Classify(c.Tree.Regions.Any(r => r.Kind == RegionKind.Alias), "alias")
                .Classify(c.Tree.Regions.Any(r => r.WholeSpace), "2^64-sized region")
                .Classify(c.Tree.Regions.Any(r => !r.Enabled), "disabled region")
                .Classify(c.Operations.Length > 0, "with transactions")
                .ToProperty();
        });

    private static Property FlatViewIsValidated() =>
        Prop.ForAll(MemoryMapGenerators.RangeLists, c =>
        {
            var verdict = new Verdict();
            bool valid = FlatViewOracle.IsValid(c.Ranges);
            FlatView? view = null;
            string? error = null;
            try
            {
                view = FlatView.Create(c.Ranges);
            }
            catch (ArgumentException e)
            {
                error = e.Message;
            }

            verdict.Expect(valid == (view is not null), () => valid ? $"a valid list was refused: {error}" : "an invalid list was accepted");
            if (view is not null)
            {
                verdict.Expect(view.Ranges.SequenceEqual(c.Ranges), () => "the view does not hold the ranges it was given");
            }

            if (error is not null)
            {
                // The message names at least one offending range by its bracket form.
                verdict.Expect(c.Ranges.Any(r => error.Contains(r.Range.ToString(), StringComparison.Ordinal)),
                    () => $"the error names no offending range: {error}");
            }

            return verdict.Classify(valid, "valid").Classify(!valid, "invalid").Classify(c.Ranges.IsEmpty, "empty list").ToProperty();
        });

    private static Property SimplifyPreservesTranslationOf(MemoryMapImplementation implementation) =>
        Prop.ForAll(ViewsToSimplify, c =>
        {
            var verdict = new Verdict();
            var view = FlatView.Create(c.Ranges);
            var simple = implementation.Simplify(view);
            foreach (ulong a in SamplePoints(c.Grid, view, simple))
            {
                var before = WithoutPriority(FlatViewOracle.Lookup(view.Ranges, a));
                var after = WithoutPriority(FlatViewOracle.Lookup(simple.Ranges, a));
                verdict.Expect(before == after, () => $"address 0x{a:x}: before simplify {Show(before)}, after {Show(after)}");
            }

            verdict.Expect(simple.Count <= view.Count, () => $"simplify grew the view from {view.Count} to {simple.Count} ranges");
            return verdict
                .Classify(simple.Count < view.Count, "merged")
                .Classify(simple.Count == view.Count, "nothing to merge")
                .Classify(view.Ranges.Any(r => r.Range.EndsAtTop), "range ends at 2^64")
                .ToProperty();
        });

    private static Property SimplifyIsIdempotentAndCompleteOf(MemoryMapImplementation implementation) =>
        Prop.ForAll(ViewsToSimplify, c =>
        {
            var verdict = new Verdict();
            var view = FlatView.Create(c.Ranges);
            var simple = implementation.Simplify(view);
            var expected = FlatViewOracle.Simplify(view.Ranges);
            verdict.Expect(simple.Ranges.SequenceEqual(expected),
                () => $"simplify gave\n{simple}\nthe oracle's repeated merging gives\n{FlatView.Create(expected)}");
            verdict.Expect(implementation.Simplify(simple).Equals(simple), () => "simplify is not idempotent");
            for (int i = 1; i < simple.Count; i++)
            {
                int k = i;
                verdict.Expect(!FlatViewOracle.Mergeable(simple[k - 1], simple[k]), () => $"ranges {simple[k - 1]} and {simple[k]} are still mergeable");
            }

            verdict.Expect(simple.Count <= view.Count, () => "simplify grew the view");
            return verdict
                .Classify(view.Count - simple.Count >= 2, "two or more merges")
                .Classify(view.Ranges.Any(r => r.Unmergeable), "unmergeable range")
                .ToProperty();
        });

    /// <summary>The points that decide two views on a grid: the grid's points and every range's first and last address.</summary>
    internal static SortedSet<ulong> SamplePoints(Grid grid, params FlatView[] views)
    {
        var points = grid.SamplePoints();
        foreach (var v in views)
        {
            foreach (var r in v.Ranges)
            {
                points.Add(r.Range.Start);
                points.Add(r.Range.Last);
                if (r.Range.Start > 0)
                {
                    points.Add(r.Range.Start - 1);
                }
            }
        }

        return points;
    }

    private static PaintedPage? WithoutPriority(PaintedPage? page) => page is null ? null : page with { Priority = 0 };

    private static string Show(PaintedPage? page) => page?.ToString() ?? "nothing";
}
