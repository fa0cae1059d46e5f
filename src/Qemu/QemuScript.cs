using System.Collections.Immutable;

namespace Verify.Qemu;

/// <summary>Where a script command goes.</summary>
public enum QemuChannel
{
    /// <summary>The qtest protocol on QEMU's stdin (<c>outl</c>, <c>outb</c>, <c>writel</c>, ...); answers <c>OK</c>.</summary>
    Qtest,

    /// <summary>The human monitor (<c>device_add</c>, <c>object_add</c>, ...); a successful command prints nothing.</summary>
    Monitor,
}

/// <summary>One command of a step, as written in the script.</summary>
/// <param name="Channel">Where it is sent.</param>
/// <param name="Text">The command without the channel word, e.g. <c>outb 0xcfd 0x30</c>.</param>
/// <param name="Line">1-based line in the script (0 when it was not read from a file).</param>
public sealed record QemuAction(QemuChannel Channel, string Text, int Line)
{
    /// <summary>The script keyword of <see cref="Channel"/>: <c>qtest</c> or <c>hmp</c>.</summary>
    public string Keyword => Channel == QemuChannel.Qtest ? "qtest" : "hmp";

    /// <summary>The command as a script line writes it: <c>qtest outb 0xcfd 0x30</c>.</summary>
    /// <returns>Keyword and text.</returns>
    public override string ToString() => $"{Keyword} {Text}";
}

/// <summary>A labelled group of commands; the recorder captures both memory dumps after the last one.</summary>
/// <param name="Label">What the step does, in words (<c>PAM 0xe8000 becomes RAM</c>); never empty.</param>
/// <param name="Actions">The commands, in order; at least one.</param>
/// <param name="Line">1-based line of the <c>step</c> line.</param>
public sealed record QemuStep(string Label, ImmutableArray<QemuAction> Actions, int Line);

/// <summary>
/// A recording script: which machine to start and the labelled steps to run on it.
/// </summary>
/// <remarks>
/// The format, one directive a line, <c>#</c> starts a comment line, blank lines are ignored:
/// <code>
/// system aarch64                   # at most once, before the first step: qemu-system-aarch64 (default x86_64)
/// machine pc                       # exactly once, before the first step
/// args -m 512 -device edu,addr=4   # any number, before the first step; split on spaces
/// step PAM 0xe8000 becomes RAM     # opens a step; the rest of the line is its label
///   qtest outl 0xcf8 0x8000005c    # indented: a command of the open step
///   qtest outb 0xcfe 0x03
///   hmp device_add pc-dimm,id=d1,memdev=m1
/// </code>
/// A step is the unit of capture, so a multi-command change (select a config register, then write
/// it) produces one labelled capture rather than a dump of a half-done write.
/// </remarks>
/// <param name="Name">File name of the script (<c>pc-pam.qemu</c>).</param>
/// <param name="Machine">The <c>-M</c> value.</param>
/// <param name="Args">Extra QEMU arguments, in order.</param>
/// <param name="Steps">The steps; at least one.</param>
public sealed record QemuScript(string Name, string Machine, ImmutableArray<string> Args, ImmutableArray<QemuStep> Steps)
{
    /// <summary>The target QEMU is built for: the <c>qemu-system-SYSTEM</c> binary that runs the script
    /// (<c>x86_64</c> unless the script says <c>system NAME</c>).</summary>
    public string System { get; init; } = "x86_64";

    /// <summary>The Debian package that installs <see cref="System"/>'s binary.</summary>
    public string Package => PackageOf(System);

    /// <summary>The Debian package that installs <c>qemu-system-SYSTEM</c>.</summary>
    /// <param name="system">A target name (<c>x86_64</c>, <c>aarch64</c>, ...).</param>
    /// <returns>The package's name.</returns>
    public static string PackageOf(string system) => system switch
    {
        "x86_64" or "i386" => "qemu-system-x86",
        "aarch64" or "arm" => "qemu-system-arm",
        "ppc64" or "ppc" => "qemu-system-ppc",
        _ => "qemu-system-misc",
    };

    /// <summary>The qtest commands a script may use (QEMU's <c>qtest.c</c>); anything else is a typo.</summary>
    public static readonly ImmutableHashSet<string> QtestVerbs = ImmutableHashSet.Create(
        StringComparer.Ordinal,
        "outb", "outw", "outl", "inb", "inw", "inl",
        "writeb", "writew", "writel", "writeq", "readb", "readw", "readl", "readq",
        "read", "write", "b64read", "b64write", "memset", "clock_step", "clock_set");

    /// <summary>
    /// Arguments the recorder sets itself: the script may not repeat or override them, since they are
    /// what makes a recording reproducible and controllable.
    /// </summary>
    public static readonly ImmutableArray<string> ReservedArgs = ["-M", "-display", "-nodefaults", "-S", "-qtest", "-qtest-log", "-monitor", "-qmp", "-daemonize"];

    /// <summary>The script as a file holds it, <see cref="Parse"/> reading it back to the same steps.</summary>
    /// <param name="comments">Lines written first as <c>#</c> comments (what the script shows, why it was kept).</param>
    /// <returns>The text, one directive a line.</returns>
    public string Write(IEnumerable<string>? comments = null)
    {
        var text = new System.Text.StringBuilder();
        foreach (string line in comments ?? [])
        {
            text.Append("# ").AppendLine(line.ReplaceLineEndings(" "));
        }

        if (System != "x86_64")
        {
            text.Append("system ").AppendLine(System);
        }

        text.Append("machine ").AppendLine(Machine);
        if (!Args.IsEmpty)
        {
            text.Append("args ").AppendLine(string.Join(' ', Args));
        }

        foreach (var step in Steps)
        {
            text.Append("step ").AppendLine(step.Label);
            foreach (var action in step.Actions)
            {
                text.Append("  ").AppendLine(action.ToString());
            }
        }

        return text.ToString();
    }

    /// <summary>Reads a script file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The script, named after the file.</returns>
    /// <exception cref="QemuFormatException">A line is malformed; the message names file and line.</exception>
    public static QemuScript Load(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    /// <summary>Reads a script from text.</summary>
    /// <param name="text">The script.</param>
    /// <param name="name">The file name, used in messages and as <see cref="Name"/>.</param>
    /// <returns>The script.</returns>
    /// <exception cref="QemuFormatException">A line is malformed; the message names file and line.</exception>
    public static QemuScript Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(name);
        string? machine = null, system = null;
        var args = ImmutableArray.CreateBuilder<string>();
        var steps = ImmutableArray.CreateBuilder<QemuStep>();
        (string Label, int Line, ImmutableArray<QemuAction>.Builder Actions)? open = null;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string raw = lines[i].TrimEnd('\r');
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            bool indented = char.IsWhiteSpace(raw[0]);
            string word = line.Split(' ', 2)[0];
            string rest = line.Length > word.Length ? line[(word.Length + 1)..].Trim() : string.Empty;
            QemuFormatException Error(string problem) => new(name, number, problem);

            if (indented)
            {
                if (open is not { } step)
                {
                    throw Error($"'{line}': an indented command needs a 'step LABEL' line before it");
                }

                step.Actions.Add(ParseAction(word, rest, number, Error));
                continue;
            }

            switch (word)
            {
                case "system" when steps.Count > 0 || open is not null:
                    throw Error("'system' must come before the first step");
                case "system" when system is not null:
                    throw Error("'system' is given twice; expected it at most once");
                case "system" when rest.Length == 0 || !rest.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'):
                    throw Error($"'{line}': expected 'system NAME' with one target name (x86_64, aarch64, riscv64, ppc64, ...)");
                case "system":
                    system = rest;
                    break;
                case "machine" when steps.Count > 0 || open is not null:
                case "args" when steps.Count > 0 || open is not null:
                    throw Error($"'{word}' must come before the first step");
                case "machine" when machine is not null:
                    throw Error("'machine' is given twice; expected it exactly once");
                case "machine" when rest.Length == 0 || rest.Contains(' ', StringComparison.Ordinal):
                    throw Error($"'{line}': expected 'machine NAME' with one name (pc, q35, ...)");
                case "machine":
                    machine = rest;
                    break;
                case "args" when rest.Length == 0:
                    throw Error("'args' without arguments; expected 'args -option value ...'");
                case "args":
                    foreach (string arg in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (ReservedArgs.Contains(arg))
                        {
                            throw Error($"'args {rest}': {arg} is set by the recorder; a script may not set it");
                        }

                        args.Add(arg);
                    }

                    break;
                case "step" when rest.Length == 0:
                    throw Error("'step' without a label; expected 'step WHAT THE STEP DOES'");
                case "step":
                    if (open is { } previous)
                    {
                        steps.Add(CloseStep(previous.Label, previous.Line, previous.Actions, name));
                    }

                    open = (rest, number, ImmutableArray.CreateBuilder<QemuAction>());
                    break;
                case "qtest" or "hmp":
                    throw Error($"'{line}': a command must be indented under a 'step LABEL' line");
                default:
                    throw Error($"'{word}': expected 'system', 'machine', 'args', 'step', or an indented 'qtest'/'hmp' command");
            }
        }

        if (open is { } last)
        {
            steps.Add(CloseStep(last.Label, last.Line, last.Actions, name));
        }

        if (machine is null)
        {
            throw new QemuFormatException(name, lines.Length, "no 'machine NAME' line; expected one before the first step");
        }

        if (steps.Count == 0)
        {
            throw new QemuFormatException(name, lines.Length, "no steps; expected at least one 'step LABEL' with indented commands");
        }

        return new QemuScript(name, machine, args.ToImmutable(), steps.ToImmutable()) { System = system ?? "x86_64" };
    }

    private static QemuStep CloseStep(string label, int line, ImmutableArray<QemuAction>.Builder actions, string file) =>
        actions.Count > 0
            ? new QemuStep(label, actions.ToImmutable(), line)
            : throw new QemuFormatException(file, line, $"step '{label}' has no commands; expected indented 'qtest'/'hmp' lines after it");

    private static QemuAction ParseAction(string word, string rest, int line, Func<string, QemuFormatException> error)
    {
        switch (word)
        {
            case "qtest" or "hmp" when rest.Length == 0:
                throw error($"'{word}' without a command");
            case "qtest" when !QtestVerbs.Contains(rest.Split(' ')[0]):
                throw error($"'qtest {rest}': '{rest.Split(' ')[0]}' is not a qtest command; expected one of {string.Join(", ", QtestVerbs.Order(StringComparer.Ordinal))}");
            case "qtest":
                return new QemuAction(QemuChannel.Qtest, rest, line);
            case "hmp" when rest.StartsWith("info", StringComparison.Ordinal) || rest.StartsWith("quit", StringComparison.Ordinal):
                throw error($"'hmp {rest}': the recorder captures 'info mtree' itself and stops QEMU itself; a step only changes the machine");
            case "hmp":
                return new QemuAction(QemuChannel.Monitor, rest, line);
            default:
                throw error($"'{word}': expected an indented 'qtest COMMAND' or 'hmp COMMAND'");
        }
    }
}
