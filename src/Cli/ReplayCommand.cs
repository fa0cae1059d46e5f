using System.CommandLine;
using Verify.Harness.Execution;
using Verify.Harness.External;
using Verify.Harness.Scenarios;

namespace Verify.Cli;

/// <summary><c>verify replay FILE</c>: runs one scenario step by step and prints each step, its result and anything
/// it broke. Exit 0 when everything holds, 1 when an expectation or invariant broke, 2 when the file cannot be used.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "a scenario file (tests/Regressions/Cases/SUITE/HASH.json)" };
        var json = new Option<bool>("--json") { Description = "print the report as JSON for machines" };
        var impl = new ImplementationOption();
        var command = new Command("replay", "run one scenario file step by step, checking its expectations and every invariant")
        {
            file, json, impl.Impl, impl.Timeout,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            Scenario scenario;
            try
            {
                scenario = ScenarioReader.Read(InputFile.ReadText(path, "a scenario file"));
            }
            catch (ScenarioFormatException error)
            {
                // One line naming the file and the JSON path; a malformed file is the user's input, not a crash.
                Console.Error.WriteLine($"verify replay: {path}: {error.Message}");
                return ExitCode.UsageOrInput;
            }
            catch (CommandInputException error)
            {
                Console.Error.WriteLine($"verify replay: {error.Message}");
                return ExitCode.UsageOrInput;
            }

            ExternalImplementation? external;
            try
            {
                external = impl.Start(parse);
            }
            catch (Exception error) when (error is FormatException or ImplementationProcessException)
            {
                Console.Error.WriteLine($"verify replay: {error.Message}");
                return ExitCode.UsageOrInput;
            }

            using var running = external;
            if (external is null && scenario.Header.Implementation is { } foundAgainst)
            {
                // A file never makes verify run a command: the user names it.
                Console.Error.WriteLine($"verify replay: note: {path.Name} was found against {foundAgainst}; this replays it against the library's models"
                    + (foundAgainst.StartsWith(ExternalImplementation.ExecPrefix, StringComparison.Ordinal) ? $" (add --impl '{foundAgainst}' to replay it against that)" : ""));
            }

            ScenarioReport report;
            try
            {
                report = external is null ? ScenarioRunner.Run(scenario) : ScenarioRunner.Run(scenario, ScenarioRunOptions.Default with { Implementation = external.Implementation });
            }
            catch (ImplementationProcessException error)
            {
                Console.Error.WriteLine($"verify replay: {error.Message}");
                return ExitCode.UsageOrInput;
            }

            Console.Write(parse.GetValue(json) ? report.ToJson() : report.ToText());
            return report.Holds ? 0 : 1;
        });
        return command;
    }
}
