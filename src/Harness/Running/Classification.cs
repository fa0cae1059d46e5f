namespace Verify.Harness.Running;

/// <summary>One row of a property's classification table: a label and how many cases carried it.</summary>
/// <param name="Label">The classification (several labels of one case are joined with ", ").</param>
/// <param name="Count">Cases with exactly this label set.</param>
/// <param name="Percent">Share of all cases, 0..100.</param>
public sealed record Classification(string Label, int Count, double Percent);
