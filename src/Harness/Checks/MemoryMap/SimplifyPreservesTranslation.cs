namespace Verify.Harness.Checks.MemoryMap;

/// <summary>FV-03 (docs/semantics.md 2.2): simplify keeps the address -> (region, offset, attributes) function, probed at
/// every range edge of the view before and after, and never grows the range count.</summary>
public sealed class SimplifyPreservesTranslation() : ScenarioCheck("FV-03")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastView is not { Accepted: { } view, Simplified: { } simple })
        {
            return;
        }

        foreach (ulong a in Probes.AddEdges(new SortedSet<ulong>(), view, simple))
        {
            var before = Probes.WithoutPriority(Verify.Oracle.MemoryMap.FlatViewOracle.Lookup(view.Ranges, a));
            var after = Probes.WithoutPriority(Verify.Oracle.MemoryMap.FlatViewOracle.Lookup(simple.Ranges, a));
            context.Expect(before == after, () => $"address 0x{a:x}: before simplify {Probes.Show(before)}, after {Probes.Show(after)}");
        }

        context.Expect(simple.Count <= view.Count, () => $"simplify grew the view from {view.Count} to {simple.Count} ranges");
        context.Label(simple.Count < view.Count, "merged");
        context.Label(simple.Count == view.Count, "nothing to merge");
        context.Label(view.Ranges.Any(r => r.Range.EndsAtTop), "range ends at 2^64");
    }
}
