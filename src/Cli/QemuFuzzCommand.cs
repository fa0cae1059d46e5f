using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Verify.Harness.RealQemu;
using Verify.Harness.Variants;
using Verify.Qemu;

namespace Verify.Cli;

/// <summary>
/// <c>verify qemu fuzz</c>: real QEMU as a generator (tests/Qemu/README.md, "Fuzzing"). Generated guest actions run
/// in QEMU, one process per script; after every step our render, our diff and the listeners are checked against what
/// QEMU printed; a diverging script is shrunk by running QEMU again and, with <c>--save</c>, written as a fixture that
/// the default tests then check forever. Exit 0 when nothing diverged, 1 on a divergence, 2 when QEMU could not run a
/// script (or is missing).
/// </summary>
internal static class QemuFuzzCommand
{
    public static Command Create()
    {
        var machine = new Option<string?>("--machine") { Description = "pc or q35 (default: both)" };
        var scripts = NumberOption.Whole("--scripts", "scripts per machine (default 20)", max: 100_000);
        var steps = NumberOption.Whole("--steps", "steps per script (default 20)", max: 10_000);
        var seed = NumberOption.Unsigned64("--seed", "the seed every script is generated from (default: a fresh one, printed)");
        var qemu = new Option<FileInfo?>("--qemu") { HelpName = "PATH", Description = "the qemu-system-x86_64 to run (your own build; default: the one on PATH)" };
        var save = new Option<DirectoryInfo?>("--save") { HelpName = "DIR", Description = "write each shrunk divergence as DIR/Scripts/NAME.qemu and DIR/Fixtures/NAME.transcript (tests/Qemu)" };
        var timeout = NumberOption.Seconds("--timeout", "seconds one QEMU command may take (default 10)", 3600);
        var variant = new Option<string?>("--variant")
        {
            Description = "check a deliberately broken render from the variant catalogue instead of the library's (render-alias-offset-ignored, ...): to watch a divergence found and shrunk",
        };
        var command = new Command("fuzz", "generate guest actions that change the memory map, run them in real QEMU and check our render, diff and listeners against it after every step")
        {
            machine, scripts, steps, seed, qemu, save, timeout, variant,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new QemuFuzzOptions
            {
                Scripts = parse.GetValue(scripts) ?? 20,
                Steps = parse.GetValue(steps) ?? 20,
                Seed = parse.GetValue(seed) ?? (ulong)Random.Shared.NextInt64(),
            };
            if (parse.GetValue(machine) is { } m)
            {
                if (!QemuFuzzGrammar.Machines.Contains(m))
                {
                    return Fail($"--machine '{m}': expected {string.Join(" or ", QemuFuzzGrammar.Machines)}");
                }

                options = options with { Machines = [m] };
            }

            var recorder = QemuRecorderOptions.Default with { Binary = parse.GetValue(qemu)?.FullName };
            if (parse.GetValue(timeout) is { } seconds)
            {
                recorder = recorder with { CommandTimeout = TimeSpan.FromSeconds(seconds) };
            }

            options = options with { Recorder = recorder };
            if (parse.GetValue(variant) is { } name)
            {
                var known = BrokenVariants.All.Where(v => v.Area == "FlatView").ToList();
                if (known.FirstOrDefault(v => v.Name == name) is not { } chosen)
                {
                    return Fail($"--variant '{name}': expected one of {string.Join(", ", known.Select(v => v.Name))}");
                }

                options = options with { MemoryMap = chosen.Implementation.MemoryMap };
                Console.WriteLine($"checking the broken variant {chosen.Name} ({chosen.Breaks}), not the library's render");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {options.Seed} (run again with: verify qemu fuzz --seed {options.Seed}); {options.Scripts} scripts of {options.Steps} steps on {string.Join(" and ", options.Machines)}, {options.Parallelism} QEMU at once"));
            QemuFuzzReport report;
            try
            {
                report = await Run(options, cancellation).ConfigureAwait(false);
            }
            catch (QemuRecordingException error)
            {
                return Fail(error.Message);
            }

            return Print(report, parse.GetValue(save));
        });
        return command;
    }

    private static async Task<QemuFuzzReport> Run(QemuFuzzOptions options, CancellationToken cancellation)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await QemuFuzzer.RunAsync(options, null, cancellation).ConfigureAwait(false);
        }

        QemuFuzzReport? report = null;
        await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("scripts", maxValue: options.Scripts * options.Machines.Length);
                report = await QemuFuzzer.RunAsync(options, (done, _) => task.Value = done, cancellation).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return report!;
    }

    private static int Print(QemuFuzzReport report, DirectoryInfo? save)
    {
        Console.WriteLine($"QEMU {report.QemuVersion}: {report.Cases.Length} scripts, {report.Cases.Sum(c => c.Script.Steps.Length)} steps");
        var table = new Table().AddColumns("covered", "scripts");
        foreach (var (label, count) in report.Coverage)
        {
            table.AddRow(Markup.Escape(label), count.ToString(CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        int exit = ExitCode.Held;
        foreach (var failed in report.Cases.Where(c => c.Error is not null))
        {
            Console.Error.WriteLine($"verify qemu fuzz: {failed.Script.Name}: QEMU could not run it: {failed.Error}");
            exit = ExitCode.UsageOrInput;
        }

        foreach (var c in report.Divergent)
        {
            exit = Math.Max(exit, ExitCode.Failed);
            var (script, transcript, divergences) = c.Shrunk!.Value;
            Console.WriteLine();
            Console.WriteLine($"{c.Script.Name}: the models diverge from QEMU ({c.Divergences.Length} places); shrunk from {c.Script.Steps.Length} to {script.Steps.Length} step{(script.Steps.Length == 1 ? "" : "s")}:");
            foreach (var d in divergences.Take(5))
            {
                Console.WriteLine($"  {d}");
            }

            string text = script.Write(Explanation(c.Script, divergences));
            Console.Write(text);
            if (save is not null)
            {
                string scriptPath = Path.Combine(save.FullName, "Scripts", script.Name);
                string fixturePath = Path.Combine(save.FullName, "Fixtures", Path.ChangeExtension(script.Name, ".transcript"));
                Directory.CreateDirectory(Path.GetDirectoryName(scriptPath)!);
                Directory.CreateDirectory(Path.GetDirectoryName(fixturePath)!);
                File.WriteAllText(scriptPath, text);
                File.WriteAllText(fixturePath, transcript.Write());
                Console.WriteLine($"saved {scriptPath} and {fixturePath}");
            }
        }

        int unrun = report.Cases.Count(c => c.Error is not null);
        string notRun = unrun == 0 ? "" : $" ({unrun} could not run in QEMU and were not checked)";
        Console.WriteLine((report.Divergent.Any() ? $"{report.Divergent.Count()} of {report.Cases.Length} scripts diverge" : $"no divergence in {report.Cases.Length - unrun} scripts") + notRun);
        return exit;
    }

    private static IEnumerable<string> Explanation(QemuScript original, IEnumerable<QemuDivergence> divergences) =>
        new[] { $"Found by verify qemu fuzz ({original.Name}, {original.Steps.Length} steps), shrunk by re-running QEMU.", "The models diverged from QEMU here:" }
            .Concat(divergences.Take(5).Select(d => "  " + d));

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"verify qemu fuzz: {message}");
        return ExitCode.UsageOrInput;
    }
}
