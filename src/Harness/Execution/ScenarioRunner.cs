using System.Collections.Immutable;
using Verify.Harness.Checks;
using Verify.Harness.Core;
using Verify.Harness.Hosts;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Execution;

/// <summary>
/// The one way a scenario runs, whether a generator just made it or a file holds it: each step runs on a
/// <see cref="ScenarioMachine"/> built from the implementation under test, then every enabled check judges it against
/// the oracles, then the step's own expectations are judged. A property enables its checks; a replay enables all of
/// them, so a saved failure fails again by construction.
/// </summary>
/// <remarks>Not thread-safe; one run runs one scenario. Kernel errors are results, not failures; a step that cannot
/// run (an undefined name, no tree yet) is reported with its reason and stops the run.</remarks>
public static class ScenarioRunner
{
    /// <summary>Runs every step of <paramref name="scenario"/> against the real models with every check.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>One report entry per step that ran.</returns>
    public static ScenarioReport Run(Scenario scenario) => Run(scenario, ScenarioRunOptions.Default);

    /// <summary>Runs <paramref name="scenario"/> as <paramref name="options"/> say.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="options">Implementation, checks, reporting.</param>
    /// <returns>One report entry per step that ran.</returns>
    public static ScenarioReport Run(Scenario scenario, ScenarioRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var machine = new ScenarioMachine(options.Implementation, options.Describe);
        bool describe = options.Describe;
        var checks = CheckCatalogue.Create(options.Checks);
        foreach (var check in checks)
        {
            check.Attach(machine);
        }

        var labels = new SortedSet<string>(StringComparer.Ordinal);
        var steps = ImmutableArray.CreateBuilder<StepReport>();
        for (int i = 0; i < scenario.Steps.Length; i++)
        {
            var report = Execute(machine, checks, i, scenario.Steps[i], labels, describe);
            steps.Add(report);
            if (report.Error is not null || (options.StopAtFirstFailure && !report.Holds))
            {
                break;
            }
        }

        return new ScenarioReport(scenario, steps.ToImmutable()) { Labels = [.. labels] };
    }

    private static StepReport Execute(ScenarioMachine machine, IReadOnlyList<ScenarioCheck> checks, int index, ScenarioStep step, ISet<string> labels, bool describe)
    {
        var invariants = new Verdict();
        var context = new CheckContext(machine, step, index, invariants, labels);
        machine.BeginStep();
        foreach (var check in checks)
        {
            context.Current = check;
            check.Before(context);
        }

        try
        {
            step.Run(machine);
            machine.EndStep(index);
        }
        catch (Exception error) when (error is StepException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            // ArgumentException appends " (Parameter 'name')", which names our parameter, not the scenario's field.
            string message = error is ArgumentException { ParamName: { } name } a ? a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : error.Message;
            return new StepReport(index, step.ToString() ?? step.Kind, Result(machine), [], Broken(invariants), message);
        }

        foreach (var check in checks)
        {
            context.Current = check;
            try
            {
                check.After(context);
            }
            catch (Exception error) when (error is ArgumentException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                // A model left in a state its own accessors refuse is a finding, not a crash of the run.
                context.Expect(false, () => $"the check could not read the models: {error.Message}");
            }
        }

        context.Summarize();
        var expectations = new Verdict();
        step.Expect.CheckAgainst(machine, expectations);
        bool holds = invariants.Holds && expectations.Holds;
        // A generated case is judged by whether it holds; its steps are only written out when one fails.
        return describe || !holds
            ? new StepReport(index, step.ToString() ?? step.Kind, Result(machine), [.. expectations.Failures], Broken(invariants))
            : new StepReport(index, "", "", [], []);
    }

    private static string Result(ScenarioMachine machine) => string.Join("\n", machine.Log.Lines);

    private static ImmutableArray<string> Broken(Verdict invariants)
    {
        var broken = invariants.Failures.ToList();
        if (invariants.FailureCount > broken.Count)
        {
            broken.Add($"... and {invariants.FailureCount - broken.Count} more");
        }

        return [.. broken];
    }
}
