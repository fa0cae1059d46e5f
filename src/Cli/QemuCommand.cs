using System.CommandLine;
using Verify.Qemu;

namespace Verify.Cli;

/// <summary>
/// <c>verify qemu record SCRIPT</c>: runs a recording script against real QEMU and writes (or, with
/// <c>--check</c>, compares against) its transcript fixture. <c>verify qemu transitions FIXTURE...</c>: prints
/// (or writes with <c>--out</c>) the table of recorded transitions that <c>tests/Qemu/TRANSITIONS.md</c> holds.
/// </summary>
internal static class QemuCommand
{
    public static Command Create()
    {
        var script = new Argument<FileInfo>("SCRIPT") { Description = "the recording script (tests/Qemu/Scripts/NAME.qemu)" };
        var output = new Option<FileInfo?>("--out") { Description = "the transcript file (default: ../Fixtures/NAME.transcript for a script in a Scripts folder, else NAME.transcript beside the script)" };
        var check = new Option<bool>("--check") { Description = "record, compare with the transcript file instead of writing it, and exit 1 if they differ" };
        var timeout = NumberOption.Seconds("--timeout", "seconds one QEMU command may take (default 10)", 3600);
        var record = new Command("record", "start QEMU, run the script's steps and capture 'info mtree' and 'info mtree -f' after each")
        {
            script, output, check, timeout,
        };
        record.SetAction(async (parse, cancellation) =>
        {
            var scriptFile = parse.GetValue(script)!;
            string fixture = parse.GetValue(output)?.FullName ?? DefaultFixture(scriptFile);
            var options = QemuRecorderOptions.Default;
            if (parse.GetValue(timeout) is { } seconds)
            {
                options = options with { CommandTimeout = TimeSpan.FromSeconds(seconds) };
            }

            try
            {
                var parsed = QemuScript.Load(scriptFile.FullName);
                var transcript = await new QemuRecorder(options).RecordAsync(parsed, cancellation).ConfigureAwait(false);
                string recorded = transcript.Write();
                return parse.GetValue(check) ? Compare(fixture, recorded) : Save(fixture, recorded, transcript);
            }
            catch (Exception error) when (error is QemuFormatException or QemuRecordingException or IOException or UnauthorizedAccessException)
            {
                return Fail(error.Message);
            }
        });

        return new Command("qemu", "record real QEMU memory maps as transcript fixtures, summarise them, and fuzz real QEMU against the models") { record, CreateTransitions(), QemuFuzzCommand.Create() };
    }

    private static Command CreateTransitions()
    {
        var fixtures = new Argument<FileInfo[]>("FIXTURE") { Description = "recorded transcripts (tests/Qemu/Fixtures/*.transcript)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<FileInfo?>("--out") { Description = "write the Markdown table to this file instead of printing it (tests/Qemu/TRANSITIONS.md)" };
        var transitions = new Command("transitions", "per step and address space: deletes, adds, merge/split and the naive listener's collateral pages, from our diff of the recorded views")
        {
            fixtures, output,
        };
        transitions.SetAction(parse =>
        {
            try
            {
                // Sorted by file name so that the generated file does not depend on the shell's glob order.
                var loaded = parse.GetValue(fixtures)!.OrderBy(f => f.Name, StringComparer.Ordinal)
                    .Select(f => (f.Name, QemuTranscript.Load(f.FullName))).ToList();
                string table = QemuTransitions.ToMarkdown(loaded);
                if (parse.GetValue(output) is { } file)
                {
                    File.WriteAllText(file.FullName, table);
                    Console.WriteLine($"{file.FullName}: {loaded.Count} fixtures");
                }
                else
                {
                    Console.Write(table);
                }

                return 0;
            }
            catch (Exception error) when (error is QemuFormatException or Verify.MemoryMap.Text.MtreeFormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"verify qemu transitions: {error.Message}");
                return 2;
            }
        });
        return transitions;
    }

    private static string DefaultFixture(FileInfo script)
    {
        // tests/Qemu/Scripts/x.qemu records to tests/Qemu/Fixtures/x.transcript; a script anywhere
        // else records beside itself rather than into a Fixtures folder nobody expects.
        string name = Path.ChangeExtension(script.Name, ".transcript");
        return script.Directory is { Name: "Scripts", Parent: { } parent }
            ? Path.Combine(parent.FullName, "Fixtures", name)
            : Path.Combine(script.DirectoryName ?? ".", name);
    }

    private static int Save(string fixture, string recorded, QemuTranscript transcript)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(fixture)!);
        File.WriteAllText(fixture, recorded);
        Console.WriteLine($"{fixture}: {transcript.Captures.Length} captures ({transcript.Captures.Length - 1} steps), {transcript.QemuVersion}");
        return 0;
    }

    private static int Compare(string fixture, string recorded)
    {
        if (!File.Exists(fixture))
        {
            return Fail($"{fixture} does not exist; record it first without --check");
        }

        string? difference = TranscriptDrift.FirstDifference(File.ReadAllText(fixture), recorded, Path.GetFileName(fixture));
        if (difference is null)
        {
            Console.WriteLine($"{fixture}: QEMU still records the same memory maps");
            return 0;
        }

        Console.WriteLine($"{fixture}: QEMU's memory maps differ from the committed fixture");
        Console.Write(difference);
        return 1;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"verify qemu record: {message}");
        return 2;
    }
}
