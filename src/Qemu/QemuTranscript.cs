using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Verify.Qemu;

/// <summary>The two memory dumps taken after one step (step 0: right after QEMU started).</summary>
/// <param name="Step">0 for the start state, then 1, 2, ... in script order.</param>
/// <param name="Label">The step's label; <see cref="QemuTranscript.StartLabel"/> for step 0.</param>
/// <param name="Commands">The step's commands as script lines (<c>qtest outb 0xcfd 0x30</c>); empty for step 0.</param>
/// <param name="Tree">QEMU's <c>info mtree</c> text, every line ending in <c>\n</c>.</param>
/// <param name="Flat">QEMU's <c>info mtree -f</c> text, every line ending in <c>\n</c>.</param>
public sealed record QemuCapture(int Step, string Label, ImmutableArray<string> Commands, string Tree, string Flat);

/// <summary>
/// A recorded run of a script against real QEMU: the fixture format under <c>tests/Qemu/Fixtures</c>.
/// </summary>
/// <remarks>
/// Plain text that diffs well line by line:
/// <code>
/// # verify qemu transcript (written by 'verify qemu record'; do not edit by hand)
/// script: pc-pam.qemu
/// qemu: 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)
/// machine: pc
/// args: -m 512
/// === step 0: start
/// --- info mtree
/// ...QEMU's text...
/// --- info mtree -f
/// ...QEMU's text...
/// === step 1: PAM 0xe8000 becomes RAM
/// &gt; qtest outl 0xcf8 0x8000005c
/// &gt; qtest outb 0xcfe 0x03
/// --- info mtree
/// ...
/// </code>
/// QEMU's lines are kept verbatim; no line of <c>info mtree</c> starts with <c>=== </c>, <c>--- </c> or
/// <c>&gt; </c>, and the writer refuses a dump that would, so the markers cannot be confused with content.
/// </remarks>
/// <param name="Script">File name of the script that was recorded.</param>
/// <param name="QemuVersion">QEMU's <c>info version</c> answer.</param>
/// <param name="Machine">The machine the script asked for.</param>
/// <param name="Args">The script's extra arguments, joined by spaces (may be empty).</param>
/// <param name="Captures">Step 0 and one capture per script step, in order.</param>
public sealed record QemuTranscript(string Script, string QemuVersion, string Machine, string Args, ImmutableArray<QemuCapture> Captures)
{
    /// <summary>The first line of every transcript.</summary>
    public const string Banner = "# verify qemu transcript (written by 'verify qemu record'; do not edit by hand)";

    /// <summary>The label of step 0, the state right after QEMU started.</summary>
    public const string StartLabel = "start";

    /// <summary>The header line holding <see cref="QemuVersion"/>; <c>--check</c> reports but does not compare it.</summary>
    public const string VersionKey = "qemu: ";

    private const string StepMarker = "=== step ";
    private const string CommandMarker = "> ";
    private const string TreeMarker = "--- info mtree";
    private const string FlatMarker = "--- info mtree -f";

    private static readonly string[] HeaderKeys = ["script: ", VersionKey, "machine: ", "args: "];

    /// <summary>Reads a transcript file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The transcript.</returns>
    /// <exception cref="QemuFormatException">A line is malformed; the message names file and line.</exception>
    public static QemuTranscript Load(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    /// <summary>Reads a transcript from text.</summary>
    /// <param name="text">The transcript.</param>
    /// <param name="name">The file name, for messages.</param>
    /// <returns>The transcript.</returns>
    /// <exception cref="QemuFormatException">A line is malformed; the message names file and line.</exception>
    public static QemuTranscript Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        string[] lines = text.Split('\n');

        // Every line of the format ends in '\n', so a well-formed file splits into lines plus one empty tail.
        if (lines[^1].Length != 0)
        {
            throw new QemuFormatException(name, lines.Length, "the file does not end with a newline; expected every line to end in '\\n'");
        }

        int count = lines.Length - 1;
        if (count == 0 || lines[0] != Banner)
        {
            throw new QemuFormatException(name, 1, $"expected the banner '{Banner}'");
        }

        var header = new string[HeaderKeys.Length];
        for (int k = 0; k < HeaderKeys.Length; k++)
        {
            int number = k + 2;
            header[k] = number <= count && lines[number - 1].StartsWith(HeaderKeys[k], StringComparison.Ordinal)
                ? lines[number - 1][HeaderKeys[k].Length..]
                : throw new QemuFormatException(name, number, $"expected the header line '{HeaderKeys[k]}...'");
        }

        var captures = ImmutableArray.CreateBuilder<QemuCapture>();
        int i = HeaderKeys.Length + 1;
        while (i < count)
        {
            captures.Add(ReadCapture(lines, count, ref i, captures.Count, name));
        }

        if (captures.Count == 0)
        {
            throw new QemuFormatException(name, count + 1, $"no steps; expected '{StepMarker}0: {StartLabel}'");
        }

        return new QemuTranscript(header[0], header[1], header[2], header[3], captures.ToImmutable());
    }

    /// <summary>The transcript in its file form (lines end in <c>\n</c>).</summary>
    /// <returns>The text.</returns>
    /// <exception cref="InvalidOperationException">A dump has a line that would read as a marker, or a capture is out of order.</exception>
    public string Write()
    {
        var text = new StringBuilder();
        text.Append(Banner).Append('\n');
        string[] values = [Script, QemuVersion, Machine, Args];
        for (int k = 0; k < HeaderKeys.Length; k++)
        {
            text.Append(HeaderKeys[k]).Append(values[k]).Append('\n');
        }

        foreach (var capture in Captures)
        {
            text.Append(CultureInfo.InvariantCulture, $"{StepMarker}{capture.Step}: {capture.Label}\n");
            foreach (string command in capture.Commands)
            {
                text.Append(CommandMarker).Append(command).Append('\n');
            }

            AppendDump(text, TreeMarker, capture.Tree, capture.Step);
            AppendDump(text, FlatMarker, capture.Flat, capture.Step);
        }

        return text.ToString();
    }

    private static void AppendDump(StringBuilder text, string marker, string dump, int step)
    {
        text.Append(marker).Append('\n');
        foreach (string line in DumpLines(dump))
        {
            if (IsMarker(line))
            {
                throw new InvalidOperationException($"step {step}: the dump line '{line}' would read as a transcript marker");
            }

            text.Append(line).Append('\n');
        }
    }

    private static IEnumerable<string> DumpLines(string dump)
    {
        string[] lines = dump.Split('\n');
        int count = lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return lines.Take(count);
    }

    private static bool IsMarker(string line) =>
        line.StartsWith(StepMarker, StringComparison.Ordinal)
        || line.StartsWith("--- ", StringComparison.Ordinal)
        || line.StartsWith(CommandMarker, StringComparison.Ordinal);

    private static QemuCapture ReadCapture(string[] lines, int count, ref int i, int expected, string name)
    {
        int stepLine = i + 1;
        string prefix = string.Create(CultureInfo.InvariantCulture, $"{StepMarker}{expected}: ");
        if (!lines[i].StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new QemuFormatException(name, stepLine, $"expected '{prefix}LABEL'");
        }

        string label = lines[i][prefix.Length..];
        if (label.Length == 0 || (expected == 0 && label != StartLabel))
        {
            throw new QemuFormatException(name, stepLine, expected == 0 ? $"step 0 must be labelled '{StartLabel}'" : "the step has no label");
        }

        i++;
        var commands = ImmutableArray.CreateBuilder<string>();
        while (i < count && lines[i].StartsWith(CommandMarker, StringComparison.Ordinal))
        {
            commands.Add(lines[i][CommandMarker.Length..]);
            i++;
        }

        if (expected == 0 && commands.Count > 0)
        {
            throw new QemuFormatException(name, stepLine + 1, "step 0 is the start state and has no commands");
        }

        if (expected > 0 && commands.Count == 0)
        {
            throw new QemuFormatException(name, stepLine, $"step {expected} has no '{CommandMarker}COMMAND' lines");
        }

        string tree = ReadDump(lines, count, ref i, TreeMarker, name);
        string flat = ReadDump(lines, count, ref i, FlatMarker, name);
        return new QemuCapture(expected, label, commands.ToImmutable(), tree, flat);
    }

    private static string ReadDump(string[] lines, int count, ref int i, string marker, string name)
    {
        if (i >= count || lines[i] != marker)
        {
            throw new QemuFormatException(name, i + 1, $"expected '{marker}'");
        }

        i++;
        var dump = new StringBuilder();
        while (i < count && !IsMarker(lines[i]))
        {
            dump.Append(lines[i]).Append('\n');
            i++;
        }

        if (dump.ToString().Trim().Length == 0)
        {
            throw new QemuFormatException(name, i, $"'{marker}' is empty; expected QEMU's text");
        }

        return dump.ToString();
    }
}
