using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Core;
using Verify.Harness.Execution;
using Verify.Harness.Generators;
using Verify.Harness.Implementations;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Running;

/// <summary>
/// A catalogued property (docs/properties.md): a generator of scenarios and the checks it enables. A generated case
/// runs through <see cref="ScenarioRunner"/> with those checks, exactly as a saved scenario replays (with every check),
/// so a saved failure fails again by construction.
/// </summary>
/// <param name="Id">Catalogue id, for example <c>FV-03</c>.</param>
/// <param name="Name">The rest of the test name, for example <c>SimplifyPreservesTranslation</c>.</param>
/// <param name="Suite">The area, for example <c>FlatView</c>.</param>
/// <param name="Cases">Makes the generator (and shrinker) of its scenarios; called once per run.</param>
/// <param name="Checks">The ids of the checks it enables.</param>
public sealed record PropertyDefinition(string Id, string Name, string Suite, Func<Arbitrary<GeneratedScenario>> Cases, ImmutableArray<string> Checks)
{
    /// <summary>The test name, which carries the id: <c>P_FV_03_SimplifyPreservesTranslation</c>.</summary>
    public string TestName => $"P_{Id.Replace('-', '_')}_{Name}";

    /// <summary>Labels a case earns from its structure rather than its run (for the classification table); may be null.</summary>
    public Func<GeneratedScenario, IEnumerable<string>>? CaseLabels { get; init; }

    /// <summary>The interfaces of an implementation this property judges: it runs against a user's implementation only
    /// when that implements one of them (<see cref="ImplementationUnderTest.Implements"/>). None for a property about
    /// the library's own rules (FlatView validation, text formats, type1, the guest IOMMU).</summary>
    public ImplementationInterfaces Exercises { get; init; }

    /// <summary>Labels every run at the default budget must earn, or the generator does not reach what the property is
    /// about; <see cref="PropertyAssert.Holds(PropertyDefinition, Action{string})"/> asserts them (past 100 cases FsCheck's whole percentages per label set
    /// can round rare labels away, so only then).</summary>
    public ImmutableArray<string> RequiredLabels { get; init; } = [];

    /// <summary>The property over the library's own models.</summary>
    /// <returns>An FsCheck property.</returns>
    public Property Build() => Build(ImplementationUnderTest.Model);

    /// <summary>The property over <paramref name="implementation"/>: each generated scenario runs against it with this
    /// property's checks, stopping at the first step that breaks one.</summary>
    /// <param name="implementation">The models to check (a broken variant, to see the property fail).</param>
    /// <returns>An FsCheck property.</returns>
    public Property Build(ImplementationUnderTest implementation) => Build(implementation, CancellationToken.None);

    /// <summary>The property over <paramref name="implementation"/>, stopping between cases once <paramref name="stop"/>
    /// is cancelled: from then on every case is an empty scenario that FsCheck discards, so the run ends (as exhausted)
    /// without judging anything it did not run. A case already running finishes: a half-run case has no verdict.</summary>
    /// <param name="implementation">The models to check.</param>
    /// <param name="stop">Cancelled when the caller's time is up.</param>
    /// <returns>An FsCheck property.</returns>
    public Property Build(ImplementationUnderTest implementation, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        var options = new ScenarioRunOptions { Implementation = implementation, Checks = Checks, Describe = false, StopAtFirstFailure = true };
        var cases = Cases();
        if (implementation.PageTable is { } table)
        {
            // The oracle judges a user's table by the rules it claims, so every generated table (and every shrink) has them.
            var unconstrained = cases;
            cases = Arb.From(
                unconstrained.Generator.Select(g => g.MapSteps(s => s is PageTableStep p ? p with { Options = table.Constrain(p.Options) } : s)),
                g => unconstrained.Shrinker(g));
        }

        if (implementation.Abandoned.CanBeCanceled)
        {
            stop = stop.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(stop, implementation.Abandoned).Token : implementation.Abandoned;
        }

        var bounded = stop.CanBeCanceled
            ? Arb.From(
                Gen.Sized(size => stop.IsCancellationRequested ? Gen.Constant(GeneratedScenario.Empty) : cases.Generator.Resize(size)),
                g => stop.IsCancellationRequested ? [] : cases.Shrinker(g))
            : cases;
        return Prop.ForAll(bounded, g =>
        {
            if (stop.IsCancellationRequested)
            {
                return Prop.When(false, () => true);
            }

            var report = ScenarioRunner.Run(Scenario.Create(new ScenarioHeader(), g.Steps), options);
            var problems = report.Problems().ToList();
            var property = Prop.Label(problems.Count == 0, problems.Count == 0 ? "holds" : string.Join(Environment.NewLine, problems.Prepend($"{problems.Count} problem(s):")));
            foreach (string label in report.Labels.Concat(CaseLabels?.Invoke(g) ?? []).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal))
            {
                property = property.Classify(true, label);
            }

            return property;
        });
    }

    /// <summary>The scenario of a generated case, headed with this property's id and the replay seed.</summary>
    /// <param name="generated">The case.</param>
    /// <param name="replay">The replay seed, if known.</param>
    /// <returns>The scenario.</returns>
    public Scenario ScenarioOf(GeneratedScenario generated, ReplaySeed? replay) => ScenarioOf(generated, replay, null);

    /// <summary>The scenario of a generated case found against an implementation, which its header names.</summary>
    /// <param name="generated">The case.</param>
    /// <param name="replay">The replay seed, if known.</param>
    /// <param name="implementation">The implementation's name, or null for the library's models.</param>
    /// <returns>The scenario.</returns>
    public Scenario ScenarioOf(GeneratedScenario generated, ReplaySeed? replay, string? implementation)
    {
        ArgumentNullException.ThrowIfNull(generated);
        return Scenario.Create(new ScenarioHeader($"{Id} {TestName}: shrunk failure", Suite, Id, replay?.ToString()) { Implementation = implementation }, generated.Steps);
    }

    /// <inheritdoc/>
    public override string ToString() => TestName;
}
