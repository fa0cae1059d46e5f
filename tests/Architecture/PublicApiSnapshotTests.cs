using System.Reflection;
using Verify.ApiSnapshot;

namespace Verify.Architecture;

// The library packages' public surface is committed as docs/api/*.txt. A change to it is deliberate: run
// scripts/update-api-snapshot.sh and commit the diff with the change. This test only reads the files.
public class PublicApiSnapshotTests
{
    public static TheoryData<string> Libraries() => [.. PublicApi.Libraries.Select(a => a.GetName().Name!)];

    [Theory]
    [MemberData(nameof(Libraries))]
    public void The_public_api_matches_its_committed_snapshot(string library)
    {
        var assembly = PublicApi.Libraries.Single(a => a.GetName().Name == library);
        string path = Path.Combine(RepositoryRoot(), PublicApi.FileOf(assembly));
        Assert.True(File.Exists(path), $"{PublicApi.FileOf(assembly)} is missing: run scripts/update-api-snapshot.sh");
        string committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        string actual = PublicApi.Describe(assembly).ReplaceLineEndings("\n");
        if (committed != actual)
        {
            var was = committed.Split('\n').ToHashSet();
            var now = actual.Split('\n').ToHashSet();
            string diff = string.Join("\n", was.Except(now).Select(l => "- " + l).Concat(now.Except(was).Select(l => "+ " + l)).Take(40));
            Assert.Fail($"The public API of {library} differs from {PublicApi.FileOf(assembly)}; if the change is meant, run "
                + $"scripts/update-api-snapshot.sh and commit the result.\n{diff}");
        }
    }

    [Fact]
    public void Every_library_package_has_a_snapshot()
    {
        var packed = new[] { "Verify.MemoryMap", "Verify.Vfio", "Verify.IommuModel" };
        Assert.Equal(packed, PublicApi.Libraries.Select(a => a.GetName().Name));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Verify.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Verify.sln not found above " + AppContext.BaseDirectory);
    }
}
