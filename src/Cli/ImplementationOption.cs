using System.CommandLine;
using Verify.Harness.External;

namespace Verify.Cli;

/// <summary><c>--impl</c> and <c>--impl-timeout</c>: the implementation <c>check</c> and <c>replay</c> run against
/// (docs/protocol.md).</summary>
internal sealed class ImplementationOption
{
    /// <summary>The default time the hello and each answer may take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public Option<string?> Impl { get; } = new("--impl")
    {
        HelpName = "exec:CMD",
        Description = "check your own implementation: run CMD (through /bin/sh -c) and talk to it in docs/protocol.md; only the suites of the interfaces its hello names run",
    };

    public Option<string?> Timeout { get; } = new("--impl-timeout")
    {
        Description = $"how long the implementation's hello and each answer may take (default {DefaultTimeout.TotalSeconds:0}s)",
    };

    /// <summary>Starts the implementation the options name, or returns null for the library's models.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <returns>The running implementation, or null.</returns>
    /// <exception cref="FormatException">The value is not <c>exec:CMD</c>, or the timeout is not a duration.</exception>
    /// <exception cref="ImplementationProcessException">It did not start or sent no valid hello.</exception>
    public ExternalImplementation? Start(ParseResult parse)
    {
        var timeout = parse.GetValue(Timeout) is { } t ? CheckOptions.ParseTime(t, "--impl-timeout") : DefaultTimeout;
        if (parse.GetValue(Impl) is not { } value)
        {
            return null;
        }

        if (!value.StartsWith(ExternalImplementation.ExecPrefix, StringComparison.Ordinal) || value.Length == ExternalImplementation.ExecPrefix.Length
            || string.IsNullOrWhiteSpace(value[ExternalImplementation.ExecPrefix.Length..]))
        {
            throw new FormatException($"--impl '{value}': expected exec:COMMAND, for example --impl 'exec:python3 my_impl.py'");
        }

        return ExternalImplementation.Start(value[ExternalImplementation.ExecPrefix.Length..], timeout);
    }
}
