using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Implementations;
using Verify.MemoryMap;
using Verify.MemoryMap.Text;
using Verify.Qemu;

namespace Verify.Harness.RealQemu;

/// <summary>What <see cref="QemuFuzzer"/> runs.</summary>
public sealed record QemuFuzzOptions
{
    /// <summary>The machines, each getting <see cref="Scripts"/> scripts.</summary>
    public ImmutableArray<string> Machines { get; init; } = QemuFuzzGrammar.Machines;

    /// <summary>Scripts per machine.</summary>
    public int Scripts { get; init; } = 20;

    /// <summary>Steps per script.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>The seed; script <c>i</c> of a machine is generated from it and <c>i</c>, so a seed names every script.</summary>
    public ulong Seed { get; init; }

    /// <summary>QEMU processes at once (one per script).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>The recorder's options (the QEMU binary, the per-command timeout).</summary>
    public QemuRecorderOptions Recorder { get; init; } = QemuRecorderOptions.Default;

    /// <summary>The render checked against QEMU: the library's, or a broken variant's (to watch shrinking work).</summary>
    public MemoryMapImplementation MemoryMap { get; init; } = MemoryMapImplementation.Model;
}

/// <summary>One generated script and what became of it.</summary>
/// <param name="Script">The script as generated.</param>
/// <param name="Divergences">Where the models disagreed with QEMU (empty when they agree).</param>
/// <param name="Labels">What the script covered (its action kinds and the shapes of its transitions).</param>
/// <param name="Error">Why it could not be recorded (QEMU refused a command, timed out), or null.</param>
public sealed record QemuFuzzCase(QemuScript Script, ImmutableArray<QemuDivergence> Divergences, ImmutableSortedSet<string> Labels, string? Error)
{
    /// <summary>The shrunk script and its transcript when the case diverged (steps dropped while it still diverges).</summary>
    public (QemuScript Script, QemuTranscript Transcript, ImmutableArray<QemuDivergence> Divergences)? Shrunk { get; init; }
}

/// <summary>A fuzz run.</summary>
/// <param name="QemuVersion">What QEMU said its version was.</param>
/// <param name="Cases">Every script, machine by machine, in order.</param>
public sealed record QemuFuzzReport(string QemuVersion, ImmutableArray<QemuFuzzCase> Cases)
{
    /// <summary>The cases that diverged.</summary>
    public IEnumerable<QemuFuzzCase> Divergent => Cases.Where(c => !c.Divergences.IsEmpty);

    /// <summary>Per label, how many scripts earned it.</summary>
    public ImmutableSortedDictionary<string, int> Coverage =>
        Cases.SelectMany(c => c.Labels).GroupBy(l => l, StringComparer.Ordinal).ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>
/// Real QEMU as a generator (tests/Qemu/README.md, "Fuzzing"): scripts from <see cref="QemuFuzzGrammar"/>, each
/// recorded by one QEMU process (several at once), every capture judged by <see cref="TranscriptCheck"/>; a script that
/// diverges is shrunk by recording it again with steps dropped, one at a time, while it still diverges.
/// </summary>
public static class QemuFuzzer
{
    /// <summary>Runs <paramref name="options"/>.</summary>
    /// <param name="options">Machines, scripts, steps, seed, QEMU.</param>
    /// <param name="progress">Called after each script with the number done and the total; may be null.</param>
    /// <param name="cancellation">Stops the run (every QEMU is still killed).</param>
    /// <returns>The report.</returns>
    /// <exception cref="QemuRecordingException">QEMU's binary is missing (said once, before any script runs).</exception>
    public static async Task<QemuFuzzReport> RunAsync(QemuFuzzOptions options, Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var recorder = new QemuRecorder(options.Recorder);
        // Missing QEMU is one error, not one per script.
        _ = recorder.BinaryFor("x86_64");
        return await RunAsync(options, script => recorder.RecordAsync(script, cancellation), progress, cancellation).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="options"/> with <paramref name="record"/> in QEMU's place (tests give a fake).</summary>
    /// <param name="options">Machines, scripts, steps, seed.</param>
    /// <param name="record">Records a script.</param>
    /// <param name="progress">Called after each script; may be null.</param>
    /// <param name="cancellation">Stops the run.</param>
    /// <returns>The report.</returns>
    public static async Task<QemuFuzzReport> RunAsync(QemuFuzzOptions options, Func<QemuScript, Task<QemuTranscript>> record, Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(record);
        var scripts = options.Machines.SelectMany(m => Enumerable.Range(0, options.Scripts).Select(i => Script(options, m, i))).ToList();
        var cases = new QemuFuzzCase?[scripts.Count];
        var versions = new ConcurrentBag<string>();
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, scripts.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellation },
            async (i, _) =>
            {
                cases[i] = await RunOneAsync(scripts[i], options.MemoryMap, record, versions).ConfigureAwait(false);
                progress?.Invoke(Interlocked.Increment(ref done), scripts.Count);
            }).ConfigureAwait(false);
        return new QemuFuzzReport(versions.FirstOrDefault() ?? "unknown", [.. cases.Select(c => c!)]);
    }

    /// <summary>Script <paramref name="index"/> of <paramref name="machine"/> under <paramref name="options"/>' seed.</summary>
    /// <param name="options">The run.</param>
    /// <param name="machine">The machine.</param>
    /// <param name="index">Which script.</param>
    /// <returns>The script, named <c>fuzz-MACHINE-SEED-INDEX.qemu</c>.</returns>
    public static QemuScript Script(QemuFuzzOptions options, string machine, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        // SplitMix64 of (seed, machine, index): deterministic across processes, unlike HashCode.
        ulong z = options.Seed + (0x9e37_79b9_7f4a_7c15UL * (ulong)(1 + (QemuFuzzGrammar.Machines.IndexOf(machine) << 20) + index));
        z = (z ^ (z >> 30)) * 0xbf58_476d_1ce4_e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d0_49bb_1331_11ebUL;
        int seed = (int)((z ^ (z >> 31)) & int.MaxValue);
        string name = string.Create(CultureInfo.InvariantCulture, $"fuzz-{machine}-{options.Seed}-{index}.qemu");
        return QemuFuzzGrammar.Generate(machine, options.Steps, new Random(seed), name);
    }

    /// <summary>Drops steps one at a time (last first), then simplifies the values of what is left
    /// (<see cref="QemuFuzzGrammar.Simpler"/>), keeping each change after which the recording still diverges in the
    /// same check, so what is left is a script a person reads in a minute. Every try is a fresh QEMU run.</summary>
    /// <param name="script">A diverging script.</param>
    /// <param name="memoryMap">The render checked.</param>
    /// <param name="record">Records a script.</param>
    /// <returns>The smallest script found, its transcript and divergences.</returns>
    public static async Task<(QemuScript Script, QemuTranscript Transcript, ImmutableArray<QemuDivergence> Divergences)> ShrinkAsync(
        QemuScript script, MemoryMapImplementation memoryMap, Func<QemuScript, Task<QemuTranscript>> record)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(record);
        var transcript = await record(script).ConfigureAwait(false);
        var divergences = TranscriptCheck.Run(transcript, memoryMap);
        if (divergences.IsEmpty)
        {
            return (script, transcript, divergences);
        }

        string check = divergences[0].Check;
        async Task<bool> Keep(QemuScript smaller)
        {
            QemuTranscript candidate;
            try
            {
                candidate = await record(smaller).ConfigureAwait(false);
            }
            catch (QemuRecordingException)
            {
                // Without this step (or with this value) a later one is refused (a DIMM's backend, say): no change.
                return false;
            }

            var found = TranscriptCheck.Run(candidate, memoryMap);
            if (!found.Any(d => d.Check == check))
            {
                return false;
            }

            (script, transcript, divergences) = (smaller, candidate, found);
            return true;
        }

        for (int i = script.Steps.Length - 1; i >= 0 && script.Steps.Length > 1; i--)
        {
            await Keep(script with { Steps = script.Steps.RemoveAt(i) }).ConfigureAwait(false);
        }

        // Each accepted value has fewer bits set than the one before, so this ends.
        for (int i = 0; i < script.Steps.Length; i++)
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                foreach (var simpler in QemuFuzzGrammar.Simpler(script.Steps[i]).ToList())
                {
                    if (await Keep(script with { Steps = script.Steps.SetItem(i, simpler) }).ConfigureAwait(false))
                    {
                        changed = true;
                        break;
                    }
                }
            }
        }

        return (script, transcript, divergences);
    }

    private static async Task<QemuFuzzCase> RunOneAsync(QemuScript script, MemoryMapImplementation memoryMap, Func<QemuScript, Task<QemuTranscript>> record, ConcurrentBag<string> versions)
    {
        QemuTranscript transcript;
        try
        {
            transcript = await record(script).ConfigureAwait(false);
        }
        catch (QemuRecordingException error)
        {
            return new QemuFuzzCase(script, [], [], error.Message);
        }

        versions.Add(transcript.QemuVersion);
        var divergences = TranscriptCheck.Run(transcript, memoryMap);
        var result = new QemuFuzzCase(script, divergences, QemuFuzzCoverage.Labels(script, transcript), null);
        return divergences.IsEmpty ? result : result with { Shrunk = await ShrinkAsync(script, memoryMap, record).ConfigureAwait(false) };
    }
}
