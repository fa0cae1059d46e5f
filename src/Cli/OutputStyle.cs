using Spectre.Console;

namespace Verify.Cli;

/// <summary>
/// How output fits where it goes: on a terminal, colour and live progress; redirected to a file or a pipe (every CI
/// log), no escape codes, no progress, and tables as wide as their rows instead of wrapped at 80 columns. Colour
/// follows <c>--color auto|always|never</c>, and <c>auto</c> honours <c>NO_COLOR</c> (no-color.org).
/// </summary>
/// <param name="Color">Whether escape codes for colour are written.</param>
/// <param name="Interactive">Whether standard output is a terminal (live progress only then).</param>
internal sealed record OutputStyle(bool Color, bool Interactive)
{
    /// <summary>The values <c>--color</c> takes.</summary>
    public static readonly string[] ColorValues = ["auto", "always", "never"];

    /// <summary>The style for this process.</summary>
    /// <param name="color">The <c>--color</c> value.</param>
    /// <returns>The style.</returns>
    public static OutputStyle Detect(string color)
    {
        bool terminal = !Console.IsOutputRedirected;
        bool noColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        return new OutputStyle(color switch
        {
            "always" => true,
            "never" => false,
            _ => terminal && !noColor,
        }, terminal);
    }

    /// <summary>Makes Spectre.Console write in this style to standard output.</summary>
    public void Apply()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        if (!Interactive)
        {
            // A log has no width: a table wrapped at 80 columns splits property names mid-word.
            console.Profile.Width = 4096;
        }

        AnsiConsole.Console = console;
    }
}
