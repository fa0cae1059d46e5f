using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.Harness.Variants;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Suites;

/// <summary>FV-06: realistic machines (pc, q35, arm virt) render as the oracle paints them after every transaction.</summary>
[PropertySuite("FlatView")]
public static class LayoutRenderProperties
{
    /// <summary>The suite's properties.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("FV-06", "P_FV_06_RealisticLayoutsRenderAsTheOraclePaints", "FlatView", RealisticLayoutsRender),
    ];

    /// <summary>FV-06 over <paramref name="implementation"/>; with <see cref="MemoryMapImplementation.Model"/> this is
    /// the catalogued property.</summary>
    /// <param name="implementation">The render and simplify to check; tests pass a broken variant to see it fail.</param>
    /// <returns>The property, under FV-06's id and name.</returns>
    public static PropertyDefinition RealisticLayoutsRender(MemoryMapImplementation implementation) =>
        Definitions[0] with { Build = () => RealisticLayoutsRenderOf(implementation) };

    private static Property RealisticLayoutsRender() => RealisticLayoutsRenderOf(MemoryMapImplementation.Model);

    private static Property RealisticLayoutsRenderOf(MemoryMapImplementation implementation) =>
        Prop.ForAll(LayoutGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var trees = c.Trees();
            bool merged = false, readOnlyPam = false, bit63 = false;
            for (int step = 0; step < trees.Count && verdict.Holds; step++)
            {
                var unsimplified = implementation.RenderUnsimplified(trees[step]);
                var view = implementation.Simplify(unsimplified); // RegionTree.Render, without rendering twice
                merged |= view.Count < unsimplified.Count;
                readOnlyPam |= view.Ranges.Any(r => r.ReadOnly && r.Region is "pc.ram");
                bit63 |= view.Ranges.Any(r => (r.Range.Start & AddressSpace.Bit63) != 0 && r.Kind == RegionKind.RamDevice);
                foreach (ulong a in Edges(trees[step], view))
                {
                    var expected = RegionTreePainter.Resolve(trees[step], a);
                    var actual = FlatViewOracle.Lookup(view.Ranges, a);
                    verdict.Expect(actual is null ? expected is null : expected is not null && actual with { Priority = 0 } == expected with { Priority = 0 },
                        () => $"after transaction {step}: address 0x{a:x} shows {actual?.ToString() ?? "nothing"}, the oracle paints {expected?.ToString() ?? "nothing"}");
                }
            }

            return verdict
                .Classify(merged, "simplify merged RAM")
                .Classify(readOnlyPam, "read-only PAM segment in pc.ram")
                .Classify(bit63, "BAR at a bit-63 address")
                .Classify(c.Layout.Name == "virt", "arm virt")
                .ToProperty();
        });

    /// <summary>Every edge where either side may change: each range's ends and every placement's ends, absolute
    /// through containers, with the byte before each. Scenario replay samples the same points.</summary>
    internal static SortedSet<ulong> Edges(RegionTree tree, params FlatView[] views)
    {
        var points = new SortedSet<ulong> { 0, ulong.MaxValue };
        void Add(UInt128 a)
        {
            if (a < AddressSpace.End)
            {
                points.Add((ulong)a);
            }

            if (a > 0 && a <= AddressSpace.End)
            {
                points.Add((ulong)(a - 1));
            }
        }

        foreach (var r in views.SelectMany(v => v.Ranges))
        {
            Add(r.Range.Start);
            Add(r.Range.End);
        }

        void Walk(string name, UInt128 origin, int depth)
        {
            if (depth > 16)
            {
                return;
            }

            foreach (var child in tree[name].Subregions)
            {
                UInt128 start = origin + child.Address;
                Add(start);
                Add(start + tree[child.Name].Size);
                Walk(child.Name, start, depth + 1);
            }
        }

        Walk(tree.Root, 0, 0);
        return points;
    }
}
