using System.CommandLine;

namespace Verify.Cli;

/// <summary>The root of the <c>verify</c> command: each subcommand lives in its own file and is added here.</summary>
internal static class VerifyCommand
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("verify: property-based checks of memory-map diffing and IOMMU updates. Exit codes: 0 everything held, 1 a check or property failed, 2 a usage or input error")
        {
            CheckCommand.Create(),
            QemuCommand.Create(),
            DiffCommand.Create(),
            RenderCommand.Create(),
            TraceCommand.Create(),
            ReplayCommand.Create(),
        };
        var color = new Option<string>("--color")
        {
            Description = "colour: auto (on a terminal, unless NO_COLOR is set), always or never",
            DefaultValueFactory = _ => "auto",
            Recursive = true,
        };
        color.AcceptOnlyFromAmong(OutputStyle.ColorValues);
        root.Options.Add(color);

        // A typo is not a failed property: usage errors exit 2 with one line each, not the help text and exit 1.
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"verify: {error.Message}");
            }

            Console.Error.WriteLine("verify: see 'verify --help' or 'verify COMMAND --help'");
            return 2;
        }

        OutputStyle.Detect(parse.GetValue(color)!).Apply();
        return parse.Invoke();
    }
}
