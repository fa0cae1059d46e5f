using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Generators;

/// <summary>Turns an arbitrary of structured cases into one of scenarios: each case is turned into its steps once, and
/// shrinking shrinks the case (so it stays readable and valid) and turns each candidate into steps again.</summary>
public static class ScenarioArbitrary
{
    /// <summary>Scenarios from <paramref name="cases"/>.</summary>
    /// <typeparam name="T">The case type.</typeparam>
    /// <param name="cases">The cases, with their shrinker.</param>
    /// <param name="steps">The steps of a case.</param>
    /// <param name="size">How big a case is.</param>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<GeneratedScenario> From<T>(Arbitrary<T> cases, Func<T, IEnumerable<ScenarioStep>> steps, Func<T, CaseSize> size)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(size);
        GeneratedScenario Wrap(T c) => new(c, [.. steps(c)], size(c), () => cases.Shrinker(c).Select(Wrap));
        return Arb.From(cases.Generator.Select(Wrap), g => g.Shrink());
    }
}
