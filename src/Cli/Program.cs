namespace Verify.Cli;

/// <summary>The <c>verify</c> command.</summary>
internal static class Program
{
    private static int Main(string[] args) => VerifyCommand.Run(args);
}
