using Verify.ApiSnapshot;

// Writes docs/api/*.txt under the repository root given as the only argument (scripts/update-api-snapshot.sh).
if (args.Length != 1 || !File.Exists(Path.Combine(args[0], "Verify.sln")))
{
    Console.Error.WriteLine("usage: Verify.ApiSnapshot REPOSITORY-ROOT (the folder holding Verify.sln)");
    return 2;
}

foreach (var assembly in PublicApi.Libraries)
{
    string path = Path.Combine(args[0], PublicApi.FileOf(assembly));
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    File.WriteAllText(path, PublicApi.Describe(assembly));
    Console.WriteLine($"wrote {PublicApi.FileOf(assembly)}");
}

return 0;
