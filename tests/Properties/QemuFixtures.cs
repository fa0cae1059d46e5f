using Verify.Harness.Qemu;

namespace Verify.Properties;

/// <summary>The committed QEMU transcripts under tests/Qemu/Fixtures, for data-driven tests.</summary>
internal static class QemuFixtures
{
    public static string Directory => Path.Combine(RepositoryPaths.Qemu, "Fixtures");

    /// <summary>Every fixture's file name, in ordinal order.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.transcript").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    public static QemuTranscript Load(string fixture) => QemuTranscript.Load(Path.Combine(Directory, fixture));
}
