using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Verify.Harness.Core;
using Verify.Harness.Execution;
using Verify.Harness.External;
using Verify.Harness.Implementations;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;

namespace Verify.Cli;

/// <summary><c>verify check</c>: runs catalogued property suites with a budget and prints a summary table.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var maxTest = NumberOption.Whole("--max-test", $"cases per property (default {PropertyBudget.DefaultMaxTest}, or VERIFY_MAX_TEST)");
        var endSize = NumberOption.Whole("--end-size", $"largest generator size (default {PropertyBudget.DefaultEndSize}, or VERIFY_END_SIZE)", max: 100_000);
        var seed = NumberOption.Unsigned64("--seed", "start of the random stream (or VERIFY_SEED)");
        var replay = new Option<string?>("--replay") { Description = "replay one case: \"seed,gamma,size\" (or VERIFY_REPLAY); use with --property" };
        var suite = new Option<string?>("--suite") { Description = "run only suites whose name contains this text" };
        var property = new Option<string?>("--property") { Description = "run only the property with this id (FV-01) or test name" };
        var time = new Option<string?>("--time") { Description = "bound the whole run (60s, 5m): when it is up the running property stops after its current case (not finished) and the rest are not run" };
        var shard = new Option<string?>("--shard") { Description = "run shard i of n (\"2/4\"): every n-th property by id, so a CI matrix splits the work deterministically" };
        var save = new Option<bool>("--save") { Description = "save each shrunk failure as a scenario under tests/Regressions/Cases (like VERIFY_SAVE=1)" };
        var json = new Option<bool>("--json") { Description = "print one JSON document (seed, every property's result, replay line, saved file) instead of the table" };
        var junit = new Option<FileInfo?>("--junit") { HelpName = "FILE", Description = "also write JUnit XML to FILE (one testcase per property)" };
        var impl = new ImplementationOption();
        var saveDir = new Option<DirectoryInfo?>("--save-dir") { HelpName = "DIR", Description = "save each shrunk failure as a scenario under DIR/SUITE/ (for your own implementation's repository) instead of tests/Regressions/Cases" };
        var command = new Command("check", "run every property suite with the default budget and print a summary table")
        {
            maxTest, endSize, seed, replay, suite, property, time, shard, save, saveDir, json, junit, impl.Impl, impl.Timeout,
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
                    budget = budget with { MaxTest = m };
                }

                if (parse.GetValue(endSize) is { } e)
                {
                    budget = budget with { EndSize = e };
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

            ExternalImplementation? external;
            try
            {
                external = impl.Start(parse);
            }
            catch (FormatException error)
            {
                Console.Error.WriteLine($"verify check: {error.Message}");
                return ExitCode.UsageOrInput;
            }
            catch (ImplementationProcessException error)
            {
                Console.Error.WriteLine($"verify check: {error.Message}");
                return ExitCode.UsageOrInput;
            }

            using var running = external;
            var implementation = external?.Implementation;
            var matching = PropertyCatalogue.All
                .Where(p => implementation is null || (p.Exercises & implementation.Implements) != 0)
                .Where(p => parse.GetValue(suite) is not { } name || p.Suite.Contains(name, StringComparison.OrdinalIgnoreCase))
                .Where(p => parse.GetValue(property) is not { } id || p.Id == id || p.TestName == id)
                .ToList();
            if (matching.Count == 0 && implementation is not null)
            {
                Console.Error.WriteLine($"verify check: {implementation.Name} implements {implementation.Implements}; no selected property judges it "
                    + $"(those that do: {string.Join(", ", PropertyCatalogue.Judging(implementation.Implements).Select(p => p.Id))})");
                return ExitCode.UsageOrInput;
            }

            if (matching.Count == 0)
            {
                string asked = string.Join(" ", new[] { parse.GetValue(suite) is { } sname ? $"--suite {sname}" : null, parse.GetValue(property) is { } pid ? $"--property {pid}" : null }.OfType<string>());
                Console.Error.WriteLine($"verify check: {asked}: no property matches; suites: {string.Join(", ", PropertyCatalogue.All.Select(p => p.Suite).Distinct())}; ids: {string.Join(", ", PropertyCatalogue.All.Select(p => p.Id))}");
                return 2;
            }

            var selected = part.Select(matching);
            if (selected.Count == 0)
            {
                // A shard with nothing in it would pass without checking anything.
                Console.Error.WriteLine($"verify check: --shard {part}: selects none of the {matching.Count} matching properties; use at most {matching.Count} shards");
                return 2;
            }

            bool asJson = parse.GetValue(json);
            if (part.Count > 1 && !asJson)
            {
                Console.WriteLine($"shard {part}: {selected.Count} of {matching.Count} properties");
            }

            // Every run says its seed first, so that an unlucky failure on CI can be run again even if it did not shrink.
            if (budget.Replay is null && budget.StartSeed is null)
            {
                budget = budget with { StartSeed = (ulong)Random.Shared.NextInt64() };
            }

            if (!asJson && external is not null)
            {
                Console.WriteLine($"implementation: {external.Name} ({implementation!.Name}), interfaces: {implementation.Implements}; {selected.Count} properties judge it");
            }

            if (!asJson)
            {
                Console.WriteLine(budget.Replay is { } replaying
                    ? $"replaying {replaying}"
                    : $"seed {budget.StartSeed} (run again with: verify check --seed {budget.StartSeed})");
            }

            bool saving;
            try
            {
                saving = parse.GetValue(save) || RegressionStore.SavingRequested();
            }
            catch (FormatException error)
            {
                Console.Error.WriteLine($"verify check: {error.Message}");
                return 2;
            }

            var saveErrors = new List<string>();
            var store = parse.GetValue(saveDir) is { } dir ? RegressionStore.In(dir.FullName) : null;
            if (saving && store is null && implementation is not null)
            {
                // This repository's cases replay against the library's models forever; a user's failure belongs in theirs.
                Console.Error.WriteLine("verify check: --save (or VERIFY_SAVE=1) with --impl would file your implementation's failures among this repository's regression cases; use --save-dir DIR");
                return ExitCode.UsageOrInput;
            }

            saving |= store is not null;
            var report = Run(selected, budget, limit, saving, saveErrors, implementation, store) with { Implementation = implementation?.Name };
            if (external?.Process.Failure is { } broken)
            {
                // The implementation, not a property, ended the run: one line, and no table of half-judged results.
                Console.Error.WriteLine($"verify check: {broken}");
                return ExitCode.UsageOrInput;
            }

            if (asJson)
            {
                Console.Out.WriteLine(report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
            else
            {
                Print(report);
            }

            int exit = report.Failures == 0 ? ExitCode.Held : ExitCode.Failed;
            foreach (string error in saveErrors)
            {
                Console.Error.WriteLine($"verify check: {error}");
                exit = ExitCode.UsageOrInput;
            }

            if (parse.GetValue(junit) is { } file && !WriteJunit(report, file))
            {
                exit = Math.Max(exit, 2);
            }

            return exit;
        });
        return command;
    }

    private static CheckReport Run(IReadOnlyList<PropertyDefinition> properties, PropertyBudget budget, TimeSpan? limit, bool saving, List<string> saveErrors,
        ImplementationUnderTest? implementation, RegressionStore? store)
    {
        var lines = new List<CheckLine>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timeUp = limit is { } l ? new CancellationTokenSource(l) : new CancellationTokenSource();
        void RunAll(Func<PropertyDefinition, Action<int>?> progress)
        {
            foreach (var property in properties)
            {
                if (timeUp.IsCancellationRequested || (implementation?.Abandoned.IsCancellationRequested ?? false))
                {
                    lines.Add(new CheckLine(property, null, 0, null));
                    continue;
                }

                // A case cannot be stopped half-way and still give a verdict, so the one running when time is up
                // finishes, and the property reports how many cases held.
                var started = clock.Elapsed;
                var outcome = PropertyRunner.Run(property, budget, progress(property), implementation, timeUp.Token);
                string? saved = null;
                if (saving && !outcome.Passed && !outcome.Exhausted && !outcome.Stopped)
                {
                    try
                    {
                        saved = store is null ? PropertyAssert.Save(outcome) : outcome.Scenario is { } scenario ? store.Save(scenario) : null;
                    }
                    catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                    {
                        // The report still prints the shrunk case as a scenario and its replay line; only the file is missing.
                        saveErrors.Add($"--save: the shrunk case of {property.Id} was not saved: {error.Message}");
                    }
                }

                lines.Add(new CheckLine(property, outcome, (clock.Elapsed - started).TotalSeconds, saved));
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

        return new CheckReport(lines, budget);
    }

    private static void Print(CheckReport report)
    {
        var table = new Table().AddColumns("suite", "id", "property", "cases", "result", "classification highlights");
        foreach (var line in report.Lines)
        {
            var o = line.Outcome;
            string highlights = o is null ? "" : string.Join("; ", o.Classifications.Take(3).Select(c => FormattableString.Invariant($"{c.Label} {c.Percent:0}%")));
            table.AddRow(
                Markup.Escape(line.Property.Suite),
                Markup.Escape(line.Property.Id),
                Markup.Escape(line.Property.TestName),
                (o?.Tests ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                line.Result switch
                {
                    "passed" => "[green]passed[/]",
                    "exhausted" => "[yellow]exhausted[/]",
                    "not run" => "[grey]not run (time)[/]",
                    "not finished" => "[grey]not finished (time)[/]",
                    _ => "[red]FAILED[/]",
                },
                Markup.Escape(highlights));
        }

        AnsiConsole.Write(table);
        foreach (var failed in report.Lines.Where(l => l.Failed))
        {
            Console.WriteLine();
            Console.WriteLine(CheckReport.Describe(failed));
        }

        Console.WriteLine($"{report.Lines.Count - report.Failures - report.NotRun - report.NotFinished} passed, {report.Failures} failed"
            + (report.NotFinished > 0 ? $", {report.NotFinished} not finished (time budget)" : "")
            + (report.NotRun > 0 ? $", {report.NotRun} not run (time budget)" : ""));
    }

    // Written whole or not at all: a half-written XML file would read as a CI run that lost tests.
    private static bool WriteJunit(CheckReport report, FileInfo file)
    {
        try
        {
            OutputFile.Write(file, path => report.ToJunit().Save(path), "--junit");
            return true;
        }
        catch (CommandInputException error)
        {
            Console.Error.WriteLine($"verify check: {error.Message}");
            return false;
        }
    }
}
