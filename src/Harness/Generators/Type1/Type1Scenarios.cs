using FsCheck;

namespace Verify.Harness.Generators.Type1;

/// <summary>The type1 properties' generated scenarios: a process with declared memory (RAM, an alias of it, a reserved
/// BAR, a hole) and one container alone in it, so a type1 oracle follows every call.</summary>
public static class Type1Scenarios
{
    /// <summary>Calls of every kind, under v1 and v2 (T1-01, 02, 04).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> Cases() => From(Type1Generators.Cases(), c => c.ToScenarioSteps());

    /// <summary>The same, under per-mapping and shared accounting (T1-03).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> AccountingCases() => From(Type1Generators.Cases(), c => c.ToAccountingSteps());

    /// <summary>The same, each container closed at the end (T1-05).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> ClosedCases() => From(Type1Generators.Cases(), c => c.ToScenarioSteps(close: true));

    /// <summary>Scripts that register an mdev first and pin, unpin, unmap under pins and migrate (T1-06, T1-07).</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> PinCases() => From(Type1Generators.PinCases(), c => c.ToScenarioSteps());

    private static Arbitrary<GeneratedScenario> From(Arbitrary<Type1Case> cases, Func<Type1Case, IEnumerable<Scenarios.ScenarioStep>> steps) =>
        ScenarioArbitrary.From(cases, steps, c => new CaseSize(c.Ops.Length, "calls"));
}
