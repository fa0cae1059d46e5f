using System.Text;

namespace Verify.Commands;

/// <summary>
/// The bad-input corpus (BadInputs/cases.txt): every hostile input a user may hand <c>verify</c>, with the one line it
/// must answer and its exit code. Nothing in it may end in a stack trace, an internal error or a hang.
/// </summary>
public sealed class BadInputCorpusTests : IClassFixture<BadInputCorpusTests.Corpus>
{
    private readonly Corpus _corpus;

    public BadInputCorpusTests(Corpus corpus) => _corpus = corpus;

    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string line in File.ReadLines(Path.Combine(Corpus.Source, "cases.txt")))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] parts = line.Split(" | ", 3);
            data.Add(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_IsRefusedWithOneLineAndItsExitCode(string args, int exit, string message)
    {
        var run = VerifyProcess.RunIn(_corpus.Directory, args.Split(' '));

        string said = run.Error.Length > 0
            ? run.Error.Split('\n')[0]
            : run.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("cannot run:", StringComparison.Ordinal)) ?? "";
        Assert.Equal(exit, run.ExitCode);
        if (message.EndsWith("...", StringComparison.Ordinal))
        {
            Assert.StartsWith(message[..^3], said, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(message, said);
        }

        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Error + run.Output);
    }

    [Fact]
    public void Corpus_CoversEveryInputFile()
    {
        string cases = File.ReadAllText(Path.Combine(Corpus.Source, "cases.txt"));
        var unused = Directory.GetFiles(Corpus.Source).Select(Path.GetFileName).Where(f => f != "cases.txt" && f != "one-dump.mtree" && !cases.Contains(f!, StringComparison.Ordinal));

        Assert.Empty(unused);
    }

    /// <summary>A copy of the corpus in a temporary folder, with the inputs too big to commit written into it.</summary>
    public sealed class Corpus : IDisposable
    {
        public Corpus()
        {
            Directory = Path.Combine(Path.GetTempPath(), $"verify-bad-inputs-{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(Directory);
            foreach (string file in System.IO.Directory.GetFiles(Source))
            {
                File.Copy(file, Path.Combine(Directory, Path.GetFileName(file)));
            }

            Generate(Directory);
        }

        /// <summary>The committed corpus.</summary>
        public static string Source => Path.Combine(VerifyProcess.Repository, "tests", "Commands", "BadInputs");

        /// <summary>The copy the cases run in.</summary>
        public string Directory { get; }

        /// <summary>Writes the generated inputs: a 20,000-deep tree and a 20,000-long alias chain, as a scenario and as
        /// an <c>info mtree</c> dump each (they once overflowed the stack and killed the process).</summary>
        /// <param name="directory">Where.</param>
        public static void Generate(string directory)
        {
            const int N = 20_000;
            var tree = new StringBuilder("{\"format\":\"verify-scenario\",\"version\":1,\"title\":\"deep\",\"steps\":[{\"root\":{\"name\":\"system\"}}");
            for (int i = 0; i < N; i++)
            {
                tree.Append(System.Globalization.CultureInfo.InvariantCulture, $",{{\"define\":{{\"name\":\"c{i}\",\"kind\":\"container\",\"size\":\"0x1000\"}}}}");
            }

            for (int i = 0; i < N; i++)
            {
                tree.Append(System.Globalization.CultureInfo.InvariantCulture, $",{{\"place\":{{\"child\":\"c{i}\",\"parent\":\"{(i == 0 ? "system" : $"c{i - 1}")}\",\"address\":\"0x0\"}}}}");
            }

            File.WriteAllText(Path.Combine(directory, "deep-tree.gen.json"), tree.Append("]}").ToString());

            var chain = new StringBuilder("{\"format\":\"verify-scenario\",\"version\":1,\"title\":\"chain\",\"steps\":[{\"root\":{\"name\":\"system\"}},{\"define\":{\"name\":\"ram\",\"kind\":\"ram\",\"size\":\"0x1000\"}}");
            for (int i = 0; i < N; i++)
            {
                chain.Append(System.Globalization.CultureInfo.InvariantCulture, $",{{\"define\":{{\"name\":\"a{i}\",\"kind\":\"alias\",\"size\":\"0x1000\",\"target\":\"{(i == 0 ? "ram" : $"a{i - 1}")}\"}}}}");
            }

            chain.Append(System.Globalization.CultureInfo.InvariantCulture, $",{{\"place\":{{\"child\":\"a{N - 1}\",\"parent\":\"system\",\"address\":\"0x0\"}}}},{{\"commit\":{{}}}}]}}");
            File.WriteAllText(Path.Combine(directory, "alias-chain.gen.json"), chain.ToString());

            var deep = new StringBuilder("address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
            for (int i = 0; i < N; i++)
            {
                deep.Append(' ', 2 * (i + 2)).Append(System.Globalization.CultureInfo.InvariantCulture, $"0000000000000000-0000000000000fff (prio 0, i/o): c{i}\n");
            }

            File.WriteAllText(Path.Combine(directory, "deep-tree.gen.mtree"), deep.ToString());

            var aliases = new StringBuilder("address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    0000000000000000-0000000000000fff (prio 0, ram): alias a0 @a1 0000000000000000-0000000000000fff\n\n");
            for (int i = 1; i < N; i++)
            {
                aliases.Append(System.Globalization.CultureInfo.InvariantCulture, $"memory-region: a{i}\n  0000000000000000-0000000000000fff (prio 0, ram): alias a{i} @a{i + 1} 0000000000000000-0000000000000fff\n\n");
            }

            aliases.Append(System.Globalization.CultureInfo.InvariantCulture, $"memory-region: a{N}\n  0000000000000000-0000000000000fff (prio 0, ram): a{N}\n");
            File.WriteAllText(Path.Combine(directory, "alias-chain.gen.mtree"), aliases.ToString());
        }

        /// <inheritdoc/>
        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
