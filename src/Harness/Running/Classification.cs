namespace Verify.Harness.Running;

/// <summary>One row of a property's classification table: a label and how many cases carried it.</summary>
/// <param name="Label">The classification label.</param>
/// <param name="Count">Cases that carried the label (a case may carry several), from FsCheck's whole percentages.</param>
/// <param name="Percent">Share of all cases, 0..100.</param>
public sealed record Classification(string Label, int Count, double Percent);
