using System.CommandLine;

namespace Verify.Cli;

/// <summary>The <c>--host-page 4K|64K</c> option of the commands that cut sections into host pages.</summary>
internal static class HostPageOption
{
    /// <summary>A new option (an option belongs to one command).</summary>
    /// <returns>The option, 4K by default.</returns>
    public static Option<string> Create() =>
        new("--host-page") { HelpName = "4K|64K", Description = "host page size: 4K or 64K", DefaultValueFactory = _ => "4K" };

    /// <summary>The page size an option value names.</summary>
    /// <param name="text">The value.</param>
    /// <returns>Bytes.</returns>
    /// <exception cref="CommandInputException">Neither 4K nor 64K.</exception>
    public static ulong Parse(string text) => text.ToUpperInvariant() switch
    {
        "4K" or "4096" => 0x1000,
        "64K" or "65536" => 0x1_0000,
        _ => throw new CommandInputException($"--host-page {text}: expected 4K or 64K"),
    };
}
