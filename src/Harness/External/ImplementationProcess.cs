using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Verify.Harness.External;

/// <summary>
/// One child process speaking the implementation protocol (docs/protocol.md) over its stdin and stdout: started
/// through <c>/bin/sh -c</c>, its hello read, then one request and one answer at a time, each within the per-call
/// timeout. Whatever goes wrong (no start, no hello, a crash, a hang, a line that is not the answer) ends the
/// conversation for good with one <see cref="ImplementationProcessException"/> line, cancels <see cref="Abandoned"/>,
/// and kills the child; <see cref="Dispose"/> always reaps it.
/// </summary>
public sealed class ImplementationProcess : IDisposable
{
    /// <summary>The protocol name a hello must carry.</summary>
    public const string ProtocolName = "dmaverify-impl";

    /// <summary>The one protocol version this harness speaks.</summary>
    public const int ProtocolVersion = 1;

    private const int StderrLinesKept = 5;

    private readonly Process _process;
    private readonly BlockingCollection<string?> _lines = new(boundedCapacity: 1024);
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly TimeSpan _timeout;
    private long _nextId = 1;
    private bool _disposed;

    private ImplementationProcess(string command, TimeSpan timeout, Process process)
    {
        Command = command;
        _timeout = timeout;
        _process = process;
    }

    /// <summary>The command as the user gave it.</summary>
    public string Command { get; }

    /// <summary>The hello the child sent.</summary>
    public JsonObject Hello { get; private set; } = [];

    /// <summary>Requests answered so far.</summary>
    public long Calls { get; private set; }

    /// <summary>Why the conversation ended, or null while it goes on.</summary>
    public string? Failure { get; private set; }

    /// <summary>Cancelled when the conversation ends in failure.</summary>
    public CancellationToken Abandoned => _abandon.Token;

    /// <summary>Starts <paramref name="command"/> and reads its hello.</summary>
    /// <param name="command">A shell command line.</param>
    /// <param name="timeout">How long the hello and each answer may take.</param>
    /// <returns>The running child.</returns>
    /// <exception cref="ImplementationProcessException">It did not start or sent no valid hello.</exception>
    public static ImplementationProcess Start(string command, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception error) when (error is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new ImplementationProcessException($"implementation '{command}': could not be started: {error.Message}");
        }

        var child = new ImplementationProcess(command, timeout, process);
        child.Listen();
        child.ReadHello();
        return child;
    }

    /// <summary>Sends one request and reads its answer.</summary>
    /// <param name="request">The request without its id (the id is added here).</param>
    /// <returns>The answer, which carries the same id and no <c>error</c>.</returns>
    /// <exception cref="ImplementationProcessException">The conversation ended, now or before.</exception>
    public JsonObject Call(JsonObject request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Failure is { } failed)
        {
            throw new ImplementationProcessException(failed);
        }

        long id = _nextId++;
        string call = request["call"]?.GetValue<string>() ?? "?";
        string what = $"request {id} ({Describe(call, request)})";
        try
        {
            // The id first, so a transcript reads request by request.
            string body = request.ToJsonString();
            _process.StandardInput.Write(string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{id}{(body.Length > 2 ? "," : "")}{body[1..]}"));
            _process.StandardInput.Write('\n');
            _process.StandardInput.Flush();
        }
        catch (IOException)
        {
            throw Fail($"could not be sent {what}: {Gone()}");
        }

        var answer = ReadObject(what);
        if (!answer.TryGetPropertyValue("id", out var idNode) || idNode is not JsonValue v || !v.TryGetValue(out long got) || got != id)
        {
            throw Fail($"answered {what} with id {ProtocolCodec.Shown(idNode)}: {ProtocolCodec.Shown(answer)}");
        }

        if (answer.TryGetPropertyValue("error", out var error) && error is not null)
        {
            throw Fail($"reported an error for {what}: {(error is JsonValue e && e.TryGetValue(out string? text) ? text : ProtocolCodec.Shown(error))}");
        }

        Calls++;
        return answer;
    }

    /// <summary>Reads an answer's fields; a field the protocol does not allow ends the conversation naming it.</summary>
    /// <typeparam name="T">What is read.</typeparam>
    /// <param name="answer">An answer from <see cref="Call"/>.</param>
    /// <param name="read">Reads it (throwing <see cref="ProtocolValueException"/>).</param>
    /// <returns>What was read.</returns>
    public T Read<T>(JsonObject answer, Func<JsonObject, T> read)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read(answer);
        }
        catch (ProtocolValueException error)
        {
            throw Fail($"answered request {answer["id"]} with {error.Message}: {ProtocolCodec.Shown(answer)}");
        }
    }

    /// <summary>Asks the child to shut down, closes its stdin, and reaps it (killing it if it lingers).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (Failure is null && !_process.HasExited)
            {
                try
                {
                    var bye = new JsonObject { ["id"] = _nextId++, ["call"] = "shutdown" };
                    _process.StandardInput.Write(bye.ToJsonString() + "\n");
                    _process.StandardInput.Flush();
                    _lines.TryTake(out _, _timeout);
                }
                catch (IOException)
                {
                    // Gone already: nothing to say goodbye to.
                }
            }

            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
            }

            if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
            {
                Kill();
            }

            _process.WaitForExit();
        }
        finally
        {
            _process.Dispose();
            _abandon.Dispose();
        }
    }

    private void Listen()
    {
        var reader = new Thread(() =>
        {
            try
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                {
                    _lines.Add(line);
                }
            }
            catch (Exception error) when (error is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The pipe went with the process; end of stream below says so.
            }

            try
            {
                _lines.Add(null);
            }
            catch (InvalidOperationException)
            {
            }
        })
        { IsBackground = true, Name = "implementation stdout" };
        reader.Start();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _stderr.Enqueue(line);
                while (_stderr.Count > StderrLinesKept && _stderr.TryDequeue(out string? _))
                {
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    private void ReadHello()
    {
        var hello = ReadObject("its hello");
        string? protocol = hello["protocol"] is JsonValue p && p.TryGetValue(out string? name) ? name : null;
        int? version = hello["version"] is JsonValue v && v.TryGetValue(out int n) ? n : null;
        if (protocol != ProtocolName || version != ProtocolVersion)
        {
            throw Fail($"said hello in protocol {ProtocolCodec.Shown(hello["protocol"])} version {ProtocolCodec.Shown(hello["version"])}; "
                + $"this verify speaks \"{ProtocolName}\" version {ProtocolVersion} only (docs/protocol.md)");
        }

        Hello = hello;
    }

    private JsonObject ReadObject(string what)
    {
        string? line;
        try
        {
            if (!_lines.TryTake(out line, _timeout))
            {
                throw Fail($"did not answer {what} within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s (raise --impl-timeout if it is only slow)");
            }
        }
        catch (InvalidOperationException)
        {
            line = null;
        }

        if (line is null)
        {
            throw Fail($"closed its output before {what}: {Gone()}");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
        }
        catch (JsonException)
        {
            throw Fail($"answered {what} with a line that is not JSON: {Quote(line)}");
        }

        return node as JsonObject ?? throw Fail($"answered {what} with {Quote(line)}, not a JSON object");
    }

    private ImplementationProcessException Fail(string what)
    {
        if (Failure is null)
        {
            string stderr = string.Join(" | ", _stderr);
            Failure = $"implementation '{Command}' {what}" + (stderr.Length > 0 ? $"; its stderr ends: {stderr}" : "");
            Kill();
            _abandon.Cancel();
        }

        return new ImplementationProcessException(Failure);
    }

    private string Gone()
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
        {
            return "it closed its pipes but kept running";
        }

        // Let the stderr reader catch up with what the child said as it died.
        _process.WaitForExit();
        int code = _process.ExitCode;
        return code > 128 ? $"it died of signal {code - 128}" : $"it exited with code {code}";
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception error) when (error is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    private static string Quote(string line) => JsonSerializer.Serialize(line.Length <= 80 ? line : line[..77] + "...");

    private static string Describe(string call, JsonObject request)
    {
        string target = request["listener"] is { } l ? $" on listener {l}" : request["domain"] is { } d ? $" on domain {d}" : "";
        string at = request["iova"] is { } i ? $" at {i.GetValue<string>()}" : "";
        return call + target + at;
    }
}
