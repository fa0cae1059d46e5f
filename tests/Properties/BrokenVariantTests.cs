using Verify.Harness.Execution;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.Harness.Variants;
using Xunit.Abstractions;

namespace Verify.Properties;

/// <summary>
/// The suites have teeth: each deliberately broken variant fails the property expected to catch it at the default
/// budget, shrinks to a case a reader can follow, and the shrunk case's scenario file (written, read back) replays red
/// against the variant and green against the real models. That last part is the one execution path: a saved failure
/// fails again by construction.
/// </summary>
public class BrokenVariantTests(ITestOutputHelper output)
{
    // "A handful": the shrunk case must be readable at a glance (placements + transactions, ranges, calls, triggers).
    private const int MaxShrunkSize = 8;

    // The default budget (100 cases, size up to 100) from a fixed start so CI is deterministic; VERIFY_SEED picks
    // another start.
    private static readonly PropertyBudget Budget = PropertyBudget.Default with { StartSeed = PropertyBudget.FromEnvironment().StartSeed ?? 20261121UL };

    public static TheoryData<string> Variants => [.. BrokenVariants.All.Select(v => v.Name)];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Variant_IsCaughtShrunkAndItsSavedScenarioReplaysRedWithItAndGreenWithout(string name)
    {
        var variant = BrokenVariants.All.Single(v => v.Name == name);
        var property = PropertyCatalogue.Get(variant.CaughtBy);

        var outcome = PropertyRunner.Run(property, Budget, implementation: variant.Implementation);

        output.WriteLine($"{variant.Name} ({variant.Area}): {variant.Breaks}");
        Assert.False(outcome.Passed, $"{property.Id} did not catch {variant.Name} in {outcome.Tests} cases");
        output.WriteLine($"{property.Id} failed after {outcome.Tests} cases and {outcome.Shrinks} shrinks:");
        output.WriteLine(PropertyFailedException.Describe(outcome, null));
        Assert.False(outcome.Exhausted, $"{property.Id} gave up on {variant.Name}: too many discarded cases");
        var shrunk = outcome.Shrunk;
        Assert.True(shrunk is not null, $"the shrunk case of {variant.Name} is not a generated scenario");
        output.WriteLine($"shrunk to {shrunk.Size}");
        Assert.True(shrunk.Size.Count <= MaxShrunkSize, $"{variant.Name} shrank only to {shrunk.Size} (at most {MaxShrunkSize} expected)");

        // What --save writes, read back as a replay reads it.
        string file = ScenarioWriter.Write(outcome.Scenario!);
        var saved = ScenarioReader.Read(file);
        Assert.Equal(outcome.Scenario, saved);
        var red = ScenarioRunner.Run(saved, new ScenarioRunOptions { Implementation = variant.Implementation });
        Assert.False(red.Holds, $"the saved scenario of {variant.Name} replays green against the variant:\n{red.ToText()}\n{file}");
        var green = ScenarioRunner.Run(saved);
        Assert.True(green.Holds, $"the saved scenario of {variant.Name} fails against the real models:\n{green.ToText()}\n{file}");
        output.WriteLine($"replayed from the file: red with the variant ({red.Problems().First()}), green without");
    }

    [Fact]
    public void Variants_CoverEveryArea_WithDistinctNames()
    {
        Assert.True(BrokenVariants.All.Count >= 26);
        Assert.Equal(BrokenVariants.All.Count, BrokenVariants.All.Select(v => v.Name).Distinct().Count());
        Assert.Equal(
            ["DmaListener", "FlatView", "GuestIommu", "Lifecycle", "PageTable", "Topology", "Type1"],
            BrokenVariants.All.Select(v => v.Area).Distinct().Order(StringComparer.Ordinal));
        Assert.All(BrokenVariants.All, v => PropertyCatalogue.Get(v.CaughtBy));
    }
}
