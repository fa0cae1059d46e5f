using System.CommandLine;

namespace Verify.Cli;

/// <summary>The root of the <c>verify</c> command: each subcommand lives in its own file and is added here.</summary>
internal static class VerifyCommand
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("verify: property-based checks of memory-map diffing and IOMMU updates")
        {
            CheckCommand.Create(),
            QemuCommand.Create(),
            DiffCommand.Create(),
            RenderCommand.Create(),
            TraceCommand.Create(),
            ReplayCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
