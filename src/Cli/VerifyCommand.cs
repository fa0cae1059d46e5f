namespace Verify.Cli;

/// <summary>Parses arguments and dispatches to the subcommands.</summary>
internal static class VerifyCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("verify: no subcommands yet");
        return args.Length == 0 ? 0 : 2;
    }
}
