namespace Verify.Cli;

/// <summary>What <c>verify</c>'s exit code means, the same for every command, so a CI script can tell a typo from a
/// failed property from a bug in the tool.</summary>
internal static class ExitCode
{
    /// <summary>Everything that was checked held.</summary>
    public const int Held = 0;

    /// <summary>A property, expectation or comparison failed: the report says which.</summary>
    public const int Failed = 1;

    /// <summary>The command line or an input (a scenario, dump, trace log) was wrong, or an output could not be written;
    /// one line on stderr says where and what was expected.</summary>
    public const int UsageOrInput = 2;

    /// <summary>verify itself failed; whatever report it had is still printed.</summary>
    public const int InternalError = 3;

    /// <summary>The help text's paragraph.</summary>
    public const string Help = "Exit codes: 0 everything held, 1 a check or property failed, 2 a usage or input error (or an output that could not be written), 3 an internal error in verify";
}
