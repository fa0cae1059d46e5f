namespace Verify.Properties;

/// <summary>Folders of the repository the tests read committed data from.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding Verify.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>tests/Qemu: the QEMU scripts and their recorded fixtures.</summary>
    public static string Qemu => Path.Combine(Root, "tests", "Qemu");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Verify.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Verify.sln above {AppContext.BaseDirectory}");
    }
}
