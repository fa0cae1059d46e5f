using System.Collections.Immutable;
using FsCheck;
using Microsoft.FSharp.Core;
using Verify.Harness.Core;

namespace Verify.Harness.Running;

/// <summary>
/// Runs one catalogued property with FsCheck's <c>Check.One</c> and a recording runner, and turns
/// the result into a <see cref="PropertyOutcome"/>: pass/fail, classification table, shrunk
/// counterexample and the replay seed. This replaces FsCheck.Xunit's <c>[Property]</c>, which the
/// package mirror does not hold.
/// </summary>
public static class PropertyRunner
{
    /// <summary>Runs <paramref name="property"/> under <paramref name="budget"/>.</summary>
    /// <param name="property">The property.</param>
    /// <param name="budget">Cases, size, seed or replay.</param>
    /// <param name="progress">Called with the number of each case as it starts; may be null.</param>
    /// <param name="implementation">The models to check; null for the library's own.</param>
    /// <returns>The outcome; never throws for a failing property.</returns>
    public static PropertyOutcome Run(PropertyDefinition property, PropertyBudget budget, Action<int>? progress = null, Implementations.ImplementationUnderTest? implementation = null) =>
        Run(property, budget, progress, implementation, CancellationToken.None);

    /// <summary>Runs <paramref name="property"/> under <paramref name="budget"/> until <paramref name="stop"/> is
    /// cancelled: the case running then finishes and no further case starts; the outcome then says
    /// <see cref="PropertyOutcome.Stopped"/> (unless a case had already failed, which is reported as a failure).</summary>
    /// <param name="property">The property.</param>
    /// <param name="budget">Cases, size, seed or replay.</param>
    /// <param name="progress">Called with the number of each case as it starts; may be null.</param>
    /// <param name="implementation">The models to check; null for the library's own.</param>
    /// <param name="stop">Cancelled when the caller's time is up.</param>
    /// <returns>The outcome; never throws for a failing property.</returns>
    public static PropertyOutcome Run(PropertyDefinition property, PropertyBudget budget, Action<int>? progress, Implementations.ImplementationUnderTest? implementation, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(property);
        ArgumentNullException.ThrowIfNull(budget);
        var runner = new RecordingRunner(progress);
        var config = Config.Quick
            .WithName(property.TestName)
            .WithMaxTest(budget.Replay is null ? budget.MaxTest : 1)
            .WithEndSize(budget.EndSize)
            .WithQuietOnSuccess(false)
            .WithRunner(runner);
        if (budget.Replay is { } replay)
        {
            config = config.WithReplay(FSharpOption<Replay>.Some(
                new Replay(new Rnd(replay.Seed, replay.Gamma), FSharpOption<int>.Some(replay.Size))));
        }
        else if (budget.StartSeed is { } seed)
        {
            config = config.WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
        }

        var under = implementation ?? Implementations.ImplementationUnderTest.Model;
        Check.One(config, property.Build(under, stop));
        var outcome = ToOutcome(property, runner) with { Implementation = under.IsUsers ? under.Name : null };
        return outcome.Exhausted && stop.IsCancellationRequested ? outcome with { Exhausted = false, Stopped = true } : outcome;
    }

    private static PropertyOutcome ToOutcome(PropertyDefinition property, RecordingRunner runner)
    {
        switch (runner.Result)
        {
            case TestResult.Passed passed:
                return new PropertyOutcome
                {
                    Property = property,
                    Passed = true,
                    Tests = passed.Item1.NumberOfTests,
                    Classifications = Classify(passed.Item1),
                    Report = runner.Report,
                };
            case TestResult.Failed failed:
                string? message = failed.Item4 is Outcome.Failed f ? f.Item.Message : null;
                return new PropertyOutcome
                {
                    Property = property,
                    Passed = false,
                    Tests = failed.Item1.NumberOfTests,
                    Shrinks = failed.Item1.NumberOfShrinks,
                    Classifications = Classify(failed.Item1),
                    Report = runner.Report,
                    Counterexample = string.Join(Environment.NewLine, failed.Item3.Select(a => a?.ToString() ?? "null")),
                    ShrunkArguments = [.. failed.Item3],
                    FailureMessage = message,
                    Replay = new ReplaySeed(failed.Item6.Seed, failed.Item6.Gamma, failed.Item7),
                };
            case TestResult.Exhausted exhausted:
                return new PropertyOutcome
                {
                    Property = property,
                    Passed = false,
                    Exhausted = true,
                    Tests = exhausted.Item.NumberOfTests,
                    Classifications = Classify(exhausted.Item),
                    Report = runner.Report,
                };
            default:
                throw new InvalidOperationException($"FsCheck finished {property.TestName} without a result");
        }
    }

    private static ImmutableArray<Classification> Classify(TestData data)
    {
        // FsCheck stamps each distinct label set with the (whole) percentage of cases that carried it, not a count;
        // a label's share is the sum over the sets containing it.
        int total = Math.Max(1, data.NumberOfTests);
        return data.Stamps
            .SelectMany(s => s.Item2.Select(label => (Label: label, Percent: s.Item1)))
            .GroupBy(s => s.Label, StringComparer.Ordinal)
            .Select(g =>
            {
                double percent = Math.Min(100, g.Sum(s => s.Percent));
                return new Classification(g.Key, (int)Math.Round(percent * total / 100.0), percent);
            })
            .OrderByDescending(c => c.Percent)
            .ThenBy(c => c.Label, StringComparer.Ordinal)
            .ToImmutableArray();
    }
}
