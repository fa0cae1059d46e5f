using System.CommandLine;

namespace Verify.Cli;

/// <summary>The root of the <c>verify</c> command: each subcommand lives in its own file and is added here.</summary>
internal static class VerifyCommand
{
    /// <summary>Runs <c>verify</c> with its own commands.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code (<see cref="ExitCode"/>).</returns>
    public static int Run(string[] args) => Run(args, [
        CheckCommand.Create(),
        QemuCommand.Create(),
        DiffCommand.Create(),
        RenderCommand.Create(),
        TraceCommand.Create(),
        ReplayCommand.Create(),
    ]);

    /// <summary>Runs <paramref name="commands"/> as <c>verify</c>'s subcommands (the tests hand in one that fails).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="commands">The subcommands.</param>
    /// <returns>The exit code (<see cref="ExitCode"/>).</returns>
    internal static int Run(string[] args, IEnumerable<Command> commands)
    {
        var root = new RootCommand("verify: property-based checks of memory-map diffing and IOMMU updates.");
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }

        var color = new Option<string>("--color")
        {
            Description = "colour: auto (on a terminal, unless NO_COLOR is set), always or never",
            DefaultValueFactory = _ => "auto",
            Recursive = true,
        };
        color.AcceptOnlyFromAmong(OutputStyle.ColorValues);
        root.Options.Add(color);
        Document(root);

        // A typo is not a failed property: usage errors exit 2 with one line each, not the help text and exit 1.
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"verify: {error.Message}");
            }

            Console.Error.WriteLine("verify: see 'verify --help' or 'verify COMMAND --help'");
            return ExitCode.UsageOrInput;
        }

        OutputStyle.Detect(parse.GetValue(color)!).Apply();
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Verify.Harness.External.ImplementationProcessException error)
        {
            // The user's implementation went away where no command expected it: still their input, one line.
            Console.Out.Flush();
            Console.Error.WriteLine($"verify: {error.Message}");
            return ExitCode.UsageOrInput;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Not the user's fault: say so, with what a bug report needs, and an exit code no check can give.
            Console.Out.Flush();
            Console.Error.WriteLine($"verify: internal error (a bug in verify; please report it with the command line): {error.GetType().Name}: {error.Message}");
            Console.Error.WriteLine(error.StackTrace);
            return ExitCode.InternalError;
        }
    }

    /// <summary>Every command's help ends with the exit codes, so a script's author finds them where they look.</summary>
    private static void Document(Command command)
    {
        command.Description = $"{command.Description}{Environment.NewLine}{Environment.NewLine}{ExitCode.Help}";
        foreach (var sub in command.Subcommands)
        {
            Document(sub);
        }
    }
}
