using Verify.MemoryMap.Flat;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.MemoryMap;

/// <summary>FV-04 (docs/semantics.md 2.2): simplify gives what the oracle's repeated merging gives, is idempotent, leaves no
/// neighbours the oracle's <c>can_merge</c> would merge, and never grows the range count.</summary>
public sealed class SimplifyIsCanonical() : ScenarioCheck("FV-04")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastView is not { Accepted: { } view, Simplified: { } simple })
        {
            return;
        }

        var expected = FlatViewOracle.Simplify(view.Ranges);
        context.Expect(simple.Ranges.SequenceEqual(expected),
            () => $"simplify gave\n{simple}\nthe oracle's repeated merging gives\n{string.Join("\n", expected)}");
        context.Expect(context.Machine.MemoryMap.Implementation.Simplify(simple).Ranges.SequenceEqual(simple.Ranges), () => "simplify is not idempotent");
        for (int i = 1; i < simple.Count; i++)
        {
            int k = i;
            context.Expect(!FlatViewOracle.Mergeable(simple[k - 1], simple[k]), () => $"ranges {simple[k - 1]} and {simple[k]} are still mergeable");
        }

        context.Expect(simple.Count <= view.Count, () => "simplify grew the view");
        context.Label(view.Count - simple.Count >= 2, "two or more merges");
        context.Label(view.Ranges.Any(r => r.Unmergeable), "unmergeable range");
    }
}
