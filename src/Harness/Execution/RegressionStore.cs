using System.Security.Cryptography;
using System.Text;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Execution;

/// <summary>
/// Where saved failures live: <c>tests/Regressions/Cases/&lt;suite&gt;/&lt;short-hash&gt;.json</c> under the
/// repository root. The short hash is the first 10 hex digits of the SHA-256 of the canonical steps
/// (<see cref="ScenarioWriter.WriteSteps"/>), so the same shrunk case found twice is one file. Files are written
/// whole or not at all: a temporary file beside the target, then a move.
/// </summary>
/// <param name="Root">The repository root (the folder holding Verify.sln).</param>
public sealed record RegressionStore(string Root)
{
    /// <summary>The environment variable that turns saving on for property runs (<c>1</c>).</summary>
    public const string SaveVariable = "VERIFY_SAVE";

    /// <summary>The folder every saved case lives under: the repository's <c>tests/Regressions/Cases</c>, or the folder
    /// <see cref="In"/> was given.</summary>
    public string CasesFolder { get => field ?? Path.Combine(Root, "tests", "Regressions", "Cases"); init => field = value; }

    /// <summary>A store in any folder (a user's own repository saving the failures of their implementation).</summary>
    /// <param name="casesFolder">The folder cases are saved under, one subfolder per suite.</param>
    /// <returns>The store.</returns>
    public static RegressionStore In(string casesFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(casesFolder);
        string full = Path.GetFullPath(casesFolder);
        return new RegressionStore(full) { CasesFolder = full };
    }

    /// <summary>Whether <c>VERIFY_SAVE=1</c> is set.</summary>
    /// <param name="lookup">The environment; the process environment when null.</param>
    /// <returns>Whether failures should be saved.</returns>
    /// <exception cref="FormatException">The variable holds something that is neither on nor off; the message names it.</exception>
    public static bool SavingRequested(Func<string, string?>? lookup = null) =>
        // A value read as off would silently lose the shrunk case the user asked to keep.
        (lookup ?? Environment.GetEnvironmentVariable)(SaveVariable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "0" or "false" or "no" or "off" => false,
            "1" or "true" or "yes" or "on" => true,
            var other => throw new FormatException($"{SaveVariable}='{other}': expected 1 (save) or 0 (do not save)"),
        };

    /// <summary>The store of the repository holding <paramref name="start"/> (the current directory when null).</summary>
    /// <param name="start">A folder inside the repository.</param>
    /// <returns>The store.</returns>
    /// <exception cref="DirectoryNotFoundException">No folder above holds Verify.sln.</exception>
    public static RegressionStore Find(string? start = null)
    {
        foreach (var from in new[] { start ?? Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Verify.sln")))
                {
                    return new RegressionStore(dir.FullName);
                }
            }
        }

        throw new DirectoryNotFoundException($"no Verify.sln above {start ?? Directory.GetCurrentDirectory()}: cannot tell where tests/Regressions/Cases is");
    }

    /// <summary>The short hash naming a scenario's file.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>10 lowercase hex digits.</returns>
    public static string ShortHash(Scenario scenario)
    {
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(ScenarioWriter.WriteSteps(scenario)));
        return Convert.ToHexStringLower(digest)[..10];
    }

    /// <summary>Where <paramref name="scenario"/> is saved.</summary>
    /// <param name="scenario">A scenario with a suite in its header (<c>Unsorted</c> otherwise).</param>
    /// <returns>The full path.</returns>
    public string PathOf(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        string suite = scenario.Header.Suite is { Length: > 0 } s && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? s : "Unsorted";
        return Path.Combine(CasesFolder, suite, ShortHash(scenario) + ".json");
    }

    /// <summary>Writes <paramref name="scenario"/> atomically; an existing file of the same content is kept as it is.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>The file's full path.</returns>
    public string Save(Scenario scenario)
    {
        string path = PathOf(scenario);
        if (File.Exists(path))
        {
            // Same steps, same file: keep the first header (the seed that found it first).
            return path;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temp, ScenarioWriter.Write(scenario));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return path;
    }

    /// <summary>Every saved case, as paths relative to <see cref="CasesFolder"/> with <c>/</c> separators, sorted.</summary>
    /// <returns>The relative paths.</returns>
    public IReadOnlyList<string> Cases() =>
        Directory.Exists(CasesFolder)
            ? [.. Directory.EnumerateFiles(CasesFolder, "*.json", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(CasesFolder, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)]
            : [];
}
