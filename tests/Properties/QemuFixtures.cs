using Verify.Qemu;

namespace Verify.Properties;

/// <summary>The committed QEMU transcripts under tests/Qemu/Fixtures, for data-driven tests.</summary>
internal static class QemuFixtures
{
    public static string Directory => Path.Combine(RepositoryPaths.Qemu, "Fixtures");

    /// <summary>Every fixture's file name, in ordinal order.</summary>
    public static IEnumerable<string> FileNames() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.transcript").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    /// <summary><see cref="FileNames"/> as theory data.</summary>
    public static TheoryData<string> Names() => [.. FileNames()];

    public static QemuTranscript Load(string fixture) => QemuTranscript.Load(Path.Combine(Directory, fixture));
}
