using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.MemoryMap;

/// <summary>FV-02 (docs/semantics.md 2.2): a <c>view</c> step's ranges are accepted exactly when the oracle calls them a
/// valid FlatView (sorted, disjoint, non-empty, inside 2^64); an accepted view holds them as given, and a refusal names
/// an offending range by its bracket form.</summary>
public sealed class ViewIsValidated() : ScenarioCheck("FV-02")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastView is not { } v)
        {
            return;
        }

        bool valid = FlatViewOracle.IsValid(v.Given);
        context.Expect(valid == (v.Accepted is not null), () => valid ? $"a valid list was refused: {v.Refusal}" : "an invalid list was accepted");
        if (v.Accepted is { } view)
        {
            context.Expect(view.Ranges.SequenceEqual(v.Given), () => "the view does not hold the ranges it was given");
        }

        if (v.Refusal is { } error)
        {
            context.Expect(v.Given.Any(r => error.Contains(r.Range.ToString(), StringComparison.Ordinal)), () => $"the error names no offending range: {error}");
        }

        context.Label(valid, "valid");
        context.Label(!valid, "invalid");
        context.Label(v.Given.IsEmpty, "empty list");
    }
}
