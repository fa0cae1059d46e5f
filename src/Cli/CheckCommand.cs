using System.CommandLine;
using Spectre.Console;
using Verify.Harness.Core;
using Verify.Harness.Execution;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;

namespace Verify.Cli;

/// <summary><c>verify check</c>: runs catalogued property suites with a budget and prints a summary table.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var maxTest = new Option<int?>("--max-test") { Description = $"cases per property (default {PropertyBudget.DefaultMaxTest}, or VERIFY_MAX_TEST)" };
        var endSize = new Option<int?>("--end-size") { Description = $"largest generator size (default {PropertyBudget.DefaultEndSize}, or VERIFY_END_SIZE)" };
        var seed = new Option<ulong?>("--seed") { Description = "start of the random stream (or VERIFY_SEED)" };
        var replay = new Option<string?>("--replay") { Description = "replay one case: \"seed,gamma,size\" (or VERIFY_REPLAY); use with --property" };
        var suite = new Option<string?>("--suite") { Description = "run only suites whose name contains this text" };
        var property = new Option<string?>("--property") { Description = "run only the property with this id (FV-01) or test name" };
        var time = new Option<string?>("--time") { Description = "stop starting new properties after this long (60s, 5m); the rest are listed as not run" };
        var shard = new Option<string?>("--shard") { Description = "run shard i of n (\"2/4\"): every n-th property by id, so a CI matrix splits the work deterministically" };
        var save = new Option<bool>("--save") { Description = "save each shrunk failure as a scenario under tests/Regressions/Cases (like VERIFY_SAVE=1)" };
        var command = new Command("check", "run every property suite with the default budget and print a summary table")
        {
            maxTest, endSize, seed, replay, suite, property, time, shard, save,
        };
        command.SetAction(parse =>
        {
            PropertyBudget budget;
            TimeSpan? limit = null;
            var part = PropertyShard.All;
            try
            {
                if (parse.GetValue(time) is { } t)
                {
                    limit = CheckOptions.ParseTime(t);
                }

                if (parse.GetValue(shard) is { } sh)
                {
                    part = PropertyShard.Parse(sh);
                }

                budget = PropertyBudget.FromEnvironment();
                if (parse.GetValue(maxTest) is { } m)
                {
                    budget = budget with { MaxTest = m > 0 ? m : throw new FormatException($"--max-test {m}: expected a positive number") };
                }

                if (parse.GetValue(endSize) is { } e)
                {
                    budget = budget with { EndSize = e > 0 ? e : throw new FormatException($"--end-size {e}: expected a positive number") };
                }

                if (parse.GetValue(seed) is { } s)
                {
                    budget = budget with { StartSeed = s };
                }

                if (parse.GetValue(replay) is { } r)
                {
                    budget = budget with { Replay = ReplaySeed.Parse(r) };
                }
            }
            catch (FormatException error)
            {
                Console.Error.WriteLine($"verify check: {error.Message}");
                return 2;
            }

            var matching = PropertyCatalogue.All
                .Where(p => parse.GetValue(suite) is not { } name || p.Suite.Contains(name, StringComparison.OrdinalIgnoreCase))
                .Where(p => parse.GetValue(property) is not { } id || p.Id == id || p.TestName == id)
                .ToList();
            if (matching.Count == 0)
            {
                Console.Error.WriteLine("verify check: no property matches the filter");
                return 2;
            }

            var selected = part.Select(matching);
            if (part.Count > 1)
            {
                Console.WriteLine($"shard {part}: {selected.Count} of {matching.Count} properties");
            }

            // Every run says its seed first, so that an unlucky failure on CI can be run again even if it did not shrink.
            if (budget.Replay is null && budget.StartSeed is null)
            {
                budget = budget with { StartSeed = (ulong)Random.Shared.NextInt64() };
            }

            Console.WriteLine(budget.Replay is { } replaying
                ? $"replaying {replaying}"
                : $"seed {budget.StartSeed} (run again with: verify check --seed {budget.StartSeed})");
            bool saving = parse.GetValue(save) || RegressionStore.SavingRequested();
            return Run(selected, budget, limit, saving);
        });
        return command;
    }

    private static int Run(IReadOnlyList<PropertyDefinition> properties, PropertyBudget budget, TimeSpan? limit, bool saving)
    {
        var outcomes = new List<PropertyOutcome>();
        var notRun = new List<PropertyDefinition>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void RunAll(Func<PropertyDefinition, Action<int>?> progress)
        {
            foreach (var property in properties)
            {
                // A property cannot be stopped half-way and still give a verdict, so the time budget is checked
                // between properties: the one running when time is up finishes.
                if (limit is { } l && clock.Elapsed >= l)
                {
                    notRun.Add(property);
                    continue;
                }

                outcomes.Add(PropertyRunner.Run(property, budget, progress(property)));
            }
        }

        int total = budget.Replay is null ? budget.MaxTest : 1;
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .Start(context => RunAll(property =>
                {
                    var task = context.AddTask(Markup.Escape($"{property.Id} {property.TestName}"), maxValue: total);
                    return n => task.Value = n;
                }));
        }
        else
        {
            // Redirected: no progress lines in the log before the table.
            RunAll(_ => null);
        }

        var table = new Table().AddColumns("suite", "id", "property", "cases", "result", "classification highlights");
        foreach (var o in outcomes)
        {
            string highlights = string.Join("; ", o.Classifications.Take(3).Select(c => FormattableString.Invariant($"{c.Label} {c.Percent:0}%")));
            table.AddRow(
                Markup.Escape(o.Property.Suite),
                Markup.Escape(o.Property.Id),
                Markup.Escape(o.Property.TestName),
                o.Tests.ToString(System.Globalization.CultureInfo.InvariantCulture),
                o.Passed ? "[green]passed[/]" : o.Exhausted ? "[yellow]exhausted[/]" : "[red]FAILED[/]",
                Markup.Escape(highlights));
        }

        foreach (var p in notRun)
        {
            table.AddRow(Markup.Escape(p.Suite), Markup.Escape(p.Id), Markup.Escape(p.TestName), "0", "[grey]not run (time)[/]", "");
        }

        AnsiConsole.Write(table);
        foreach (var failed in outcomes.Where(o => !o.Passed))
        {
            Console.WriteLine();
            Console.WriteLine(PropertyFailedException.Describe(failed, saving && !failed.Exhausted ? PropertyAssert.Save(failed) : null));
        }

        int failures = outcomes.Count(o => !o.Passed);
        Console.WriteLine($"{outcomes.Count - failures} passed, {failures} failed" + (notRun.Count > 0 ? $", {notRun.Count} not run (time budget)" : ""));
        return failures == 0 ? 0 : 1;
    }
}
