using System.Collections.Immutable;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Verify.Qemu;

/// <summary>How the recorder runs QEMU.</summary>
public sealed record QemuRecorderOptions
{
    /// <summary>The default options.</summary>
    public static QemuRecorderOptions Default { get; } = new();

    /// <summary>The QEMU binary: a name looked up on <c>PATH</c>, or a path; null for the script's own
    /// (<c>qemu-system-SYSTEM</c>, <see cref="QemuScript.System"/>).</summary>
    public string? Binary { get; init; }

    /// <summary>How long one command (or QEMU's start up to its monitor prompt) may take.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Runs a <see cref="QemuScript"/> against a real <c>qemu-system-x86_64</c> and records
/// <c>info mtree</c> and <c>info mtree -f</c> after start-up and after every step.
/// </summary>
/// <remarks>
/// QEMU is started as <c>-M MACHINE -display none -nodefaults -S -qtest stdio -qtest-log /dev/null
/// -monitor unix:SOCKET,server=on,wait=off</c> followed by the script's <c>args</c>. <c>-S</c> keeps the
/// guest CPU stopped: otherwise the firmware runs, programs PAM and BARs itself and races the script,
/// and the recording stops being reproducible. qtest commands go to stdin and answer <c>OK</c> on stdout;
/// monitor commands go to the socket and end at the <c>(qemu) </c> prompt. Every wait has
/// <see cref="QemuRecorderOptions.CommandTimeout"/>, and QEMU is killed when the recording ends, however
/// it ends. Not thread-safe; one recording per instance at a time.
/// </remarks>
public sealed class QemuRecorder
{
    private const string Prompt = "(qemu) ";
    private readonly QemuRecorderOptions _options;

    /// <summary>Creates a recorder.</summary>
    /// <param name="options">How to run QEMU; <see cref="QemuRecorderOptions.Default"/> when null.</param>
    public QemuRecorder(QemuRecorderOptions? options = null) => _options = options ?? QemuRecorderOptions.Default;

    /// <summary>The QEMU arguments the recorder uses for a script and a monitor socket.</summary>
    /// <param name="script">The script.</param>
    /// <param name="socket">Path of the monitor socket.</param>
    /// <returns>The argument list, fixed arguments first.</returns>
    public static ImmutableArray<string> Arguments(QemuScript script, string socket)
    {
        ArgumentNullException.ThrowIfNull(script);
        return
        [
            "-M", script.Machine, "-display", "none", "-nodefaults", "-S",
            "-qtest", "stdio", "-qtest-log", "/dev/null",
            "-monitor", $"unix:{socket},server=on,wait=off",
            .. script.Args,
        ];
    }

    /// <summary>The QEMU binary a script of <paramref name="system"/> would run: <see cref="QemuRecorderOptions.Binary"/>, or
    /// <c>qemu-system-SYSTEM</c> found on PATH. Lets a caller with many scripts fail once, before the first.</summary>
    /// <param name="system">The target, as a script's <c>system</c> line names it (<c>x86_64</c>).</param>
    /// <returns>The binary's path.</returns>
    /// <exception cref="QemuRecordingException">It does not exist (the message says how to install it).</exception>
    public string BinaryFor(string system)
    {
        ArgumentException.ThrowIfNullOrEmpty(system);
        return Locate(_options.Binary ?? $"qemu-system-{system}", QemuScript.PackageOf(system));
    }

    /// <summary>Records the script.</summary>
    /// <param name="script">The script.</param>
    /// <param name="cancellation">Stops the recording (QEMU is still killed).</param>
    /// <returns>The transcript: step 0 and one capture per step.</returns>
    /// <exception cref="QemuRecordingException">QEMU is missing, exited, refused a command or timed out.</exception>
    public async Task<QemuTranscript> RecordAsync(QemuScript script, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        string binary = Locate(_options.Binary ?? $"qemu-system-{script.System}", script.Package);
        string socketPath = Path.Combine(Path.GetTempPath(), $"verify-qemu-{Guid.NewGuid():N}.sock");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in Arguments(script, socketPath))
        {
            start.ArgumentList.Add(arg);
        }

        using var stderr = new StderrLog();
        using var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
        // Everything that can fail before QEMU exists happens before Start, so that after Start the
        // only way out is through the finally that kills it.
        using var session = new Session(process, stderr, _options.CommandTimeout, script.Name);
        try
        {
            process.Start();
        }
        catch (Win32Exception error)
        {
            throw new QemuRecordingException($"could not start {binary}: {error.Message}", error);
        }

        try
        {
            process.BeginErrorReadLine();
            process.StandardInput.AutoFlush = true;
            process.StandardInput.NewLine = "\n";
            await session.ConnectAsync(socketPath, cancellation).ConfigureAwait(false);
            string version = (await session.MonitorAsync("info version", 0, cancellation).ConfigureAwait(false)).Trim();
            var captures = ImmutableArray.CreateBuilder<QemuCapture>(script.Steps.Length + 1);
            captures.Add(await CaptureAsync(session, 0, QemuTranscript.StartLabel, [], cancellation).ConfigureAwait(false));
            foreach (var step in script.Steps)
            {
                foreach (var action in step.Actions)
                {
                    await session.RunAsync(action, cancellation).ConfigureAwait(false);
                }

                var commands = step.Actions.Select(a => a.ToString()).ToImmutableArray();
                captures.Add(await CaptureAsync(session, captures.Count, step.Label, commands, cancellation).ConfigureAwait(false));
            }

            return new QemuTranscript(script.Name, version, script.Machine, string.Join(' ', script.Args), captures.ToImmutable());
        }
        finally
        {
            Stop(process);
            File.Delete(socketPath);
        }
    }

    private static async Task<QemuCapture> CaptureAsync(Session session, int step, string label, ImmutableArray<string> commands, CancellationToken cancellation)
    {
        string tree = await session.MonitorAsync("info mtree", 0, cancellation).ConfigureAwait(false);
        string flat = await session.MonitorAsync("info mtree -f", 0, cancellation).ConfigureAwait(false);
        return new QemuCapture(step, label, commands, MtreeBlockOrder.Apply(tree), MtreeBlockOrder.Apply(flat));
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill: nothing is left to stop.
        }
    }

    private static string Locate(string binary, string package)
    {
        if (binary.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(binary) ? binary : throw new QemuRecordingException($"{binary} does not exist");
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new QemuRecordingException($"{binary} not found on PATH; install it with apt-get install -y {package}");
    }

    /// <summary>One running QEMU: its qtest pipe, its monitor socket and the stderr seen so far.</summary>
    private sealed class Session(Process process, StderrLog stderr, TimeSpan timeout, string scriptName) : IDisposable
    {
        private readonly Socket _monitor = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public async Task ConnectAsync(string path, CancellationToken cancellation)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw Exited("while starting");
                }

                try
                {
                    await _monitor.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation).ConfigureAwait(false);
                    break;
                }
                catch (SocketException) when (deadline.Elapsed < timeout)
                {
                    // QEMU creates the socket file a moment before it listens on it.
                    await Task.Delay(50, cancellation).ConfigureAwait(false);
                }
                catch (SocketException error)
                {
                    throw new QemuRecordingException($"QEMU's monitor socket did not accept a connection within {Seconds}{Stderr()}", error);
                }
            }

            await ReadPromptAsync("the monitor banner", cancellation).ConfigureAwait(false);
        }

        public async Task RunAsync(QemuAction action, CancellationToken cancellation)
        {
            if (action.Channel == QemuChannel.Monitor)
            {
                string output = await MonitorAsync(action.Text, action.Line, cancellation).ConfigureAwait(false);
                if (output.Trim().Length > 0)
                {
                    throw new QemuRecordingException($"{scriptName}:{action.Line}: 'hmp {action.Text}' failed; QEMU answered: {output.Trim()}");
                }

                return;
            }

            string reply = await QtestAsync(action, cancellation).ConfigureAwait(false);
            if (reply != "OK" && !reply.StartsWith("OK ", StringComparison.Ordinal))
            {
                throw new QemuRecordingException($"{scriptName}:{action.Line}: 'qtest {action.Text}' failed; QEMU answered: {reply}");
            }
        }

        /// <summary>Sends a monitor command and returns what it printed, without the echo and prompt.</summary>
        public async Task<string> MonitorAsync(string command, int line, CancellationToken cancellation)
        {
            try
            {
                await _monitor.SendAsync(Encoding.UTF8.GetBytes(command + "\n"), cancellation).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                throw Exited($"before {Describe("hmp", command, line)} could be sent");
            }

            string answer = await ReadPromptAsync(Describe("hmp", command, line), cancellation).ConfigureAwait(false);

            // The monitor echoes the command through its line editor (with cursor-movement escapes)
            // and ends the echo with "\r\n"; the command's own output follows.
            int echoEnd = answer.IndexOf("\r\n", StringComparison.Ordinal);
            string output = echoEnd < 0 ? string.Empty : answer[(echoEnd + 2)..^Prompt.Length];
            return output.Replace("\r\n", "\n", StringComparison.Ordinal);
        }

        public void Dispose() => _monitor.Dispose();

        private string Seconds => string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0.#} s");

        private async Task<string> QtestAsync(QemuAction action, CancellationToken cancellation)
        {
            string what = Describe("qtest", action.Text, action.Line);
            try
            {
                await process.StandardInput.WriteLineAsync(action.Text.AsMemory(), cancellation).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw Exited($"before {what} could be sent");
            }

            while (true)
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                limit.CancelAfter(timeout);
                string? reply;
                try
                {
                    reply = await process.StandardOutput.ReadLineAsync(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    throw new QemuRecordingException($"QEMU did not answer {what} within {Seconds}{Stderr()}");
                }

                // An "IRQ raise/lower" line is an asynchronous event, not the answer.
                if (reply is null || !reply.StartsWith("IRQ ", StringComparison.Ordinal))
                {
                    return reply ?? throw Exited($"before answering {what}");
                }
            }
        }

        private async Task<string> ReadPromptAsync(string what, CancellationToken cancellation)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(timeout);
            var received = new MemoryStream();
            byte[] buffer = new byte[64 * 1024];
            byte[] prompt = Encoding.ASCII.GetBytes(Prompt);
            while (received.Length < prompt.Length || !received.GetBuffer().AsSpan(0, (int)received.Length).EndsWith(prompt))
            {
                int read;
                try
                {
                    read = await _monitor.ReceiveAsync(buffer, limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    throw new QemuRecordingException($"QEMU did not answer {what} within {Seconds}{Stderr()}");
                }
                catch (SocketException error)
                {
                    // A reset connection almost always means QEMU died (bad arguments, an assertion):
                    // its exit and stderr say why, the socket error does not.
                    throw process.WaitForExit(2000)
                        ? Exited($"before answering {what}")
                        : new QemuRecordingException($"QEMU's monitor failed while reading {what}: {error.Message}{Stderr()}", error);
                }

                if (read == 0)
                {
                    throw Exited($"before answering {what}");
                }

                received.Write(buffer, 0, read);
            }

            return Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
        }

        private string Describe(string channel, string command, int line) =>
            line > 0 ? $"'{channel} {command}' ({scriptName}:{line})" : $"'{channel} {command}'";

        private QemuRecordingException Exited(string when)
        {
            // Give QEMU a moment to finish exiting, and its stderr pipe to drain, so the message
            // carries QEMU's own reason (the exit alone does not mean the last lines were read).
            bool exited = process.WaitForExit(2000);
            if (exited)
            {
                // Only the untimed wait also waits for the redirected stderr's reader to reach the end; on a loaded
                // machine that can take longer than the exit itself (CI once lost the reason this way).
                process.WaitForExit();
            }

            stderr.WaitForEnd(TimeSpan.FromSeconds(10));
            string code = exited ? process.ExitCode.ToString(CultureInfo.InvariantCulture) : "unknown";
            return new QemuRecordingException($"QEMU exited (code {code}) {when}{Stderr()}");
        }

        private string Stderr() => stderr.Text() is { Length: > 0 } text ? $"; QEMU's stderr: {text}" : string.Empty;
    }

    /// <summary>QEMU's stderr as it arrives on the process's reader thread; thread-safe.</summary>
    private sealed class StderrLog : IDisposable
    {
        private readonly StringBuilder _text = new();
        private readonly ManualResetEventSlim _ended = new();

        /// <summary>Adds a line; <see langword="null"/> marks the end of the stream.</summary>
        public void Add(string? line)
        {
            if (line is null)
            {
                _ended.Set();
                return;
            }

            lock (_text)
            {
                _text.Append(line).Append('\n');
            }
        }

        public void WaitForEnd(TimeSpan limit) => _ended.Wait(limit);

        public string Text()
        {
            lock (_text)
            {
                return _text.ToString().Trim();
            }
        }

        public void Dispose() => _ended.Dispose();
    }
}
