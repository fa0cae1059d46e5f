using System.Diagnostics;

namespace Verify.Commands;

/// <summary>What one run of the built <c>verify</c> printed and returned.</summary>
/// <param name="ExitCode">0 when everything held, 1 when a check found a mismatch, 2 for bad input.</param>
/// <param name="Output">Standard output.</param>
/// <param name="Error">Standard error.</param>
public sealed record VerifyRun(int ExitCode, string Output, string Error);

/// <summary>Runs the <c>verify</c> built next to the tests in a process of its own, as a user's shell would.</summary>
public static class VerifyProcess
{
    public static VerifyRun Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs verify with <paramref name="directory"/> as its working directory.</summary>
    public static VerifyRun RunIn(string? directory, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "verify.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new VerifyRun(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The repository root (the directory holding Verify.sln).</summary>
    public static string Repository { get; } = FindRepository();

    private static string FindRepository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Verify.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Verify.sln not found above " + AppContext.BaseDirectory);
    }
}
