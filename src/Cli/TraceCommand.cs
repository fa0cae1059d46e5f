using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Verify.Harness.Dma;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.Qemu;
using Verify.Qemu.Trace;

namespace Verify.Cli;

/// <summary>
/// <c>verify trace LOG</c>: reads a QEMU trace log (vfio listener and iommufd backend events, error reports, anything
/// else in between), rebuilds the container's ioctls, replays them into the type1 model and reports every call whose
/// modelled result differs from the trace's, every DMA window, and what the coalescing planner would issue per burst.
/// Exit 0 when every compared call agrees, 1 when one differs, 2 when the log or an argument cannot be used.
/// </summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var logFile = new Argument<FileInfo>("LOG") { Description = "a QEMU trace log (-trace 'vfio_listener_region_*' -trace 'iommufd_backend_*' ...)" };
        var type1 = new Option<string>("--type1") { HelpName = "v1|v2", Description = "the type1 IOMMU the calls are replayed into", DefaultValueFactory = _ => "v2" };
        var hostPage = HostPageOption.Create();
        var json = new Option<bool>("--json") { Description = "print one JSON document instead of tables" };
        var html = new Option<FileInfo?>("--html") { HelpName = "FILE", Description = "also write FILE: one self-contained HTML page picturing each burst's calls in order and its DMA windows" };
        var command = new Command("trace", "replay a QEMU vfio/iommufd trace log into the kernel model: result mismatches, DMA windows, the coalescing planner's plan")
        {
            logFile, type1, hostPage, json, html,
        };
        command.SetAction(parse =>
        {
            try
            {
                var version = parse.GetValue(type1)!.ToLowerInvariant() switch
                {
                    "v1" or "1" => Type1Version.V1,
                    "v2" or "2" => Type1Version.V2,
                    var other => throw new CommandInputException($"--type1 {other}: expected v1 or v2"),
                };
                ulong page = HostPageOption.Parse(parse.GetValue(hostPage)!);
                var file = parse.GetValue(logFile)!;
                var log = Read(file);
                var replay = TraceReplay.Of(log, version, page);
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(ToJson(file, log, replay, page).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                }
                else
                {
                    Print(file, log, replay, page);
                }

                if (parse.GetValue(html) is { } picture)
                {
                    OutputFile.WriteText(picture, TransactionPicture.Html($"{file.Name}: {replay.Calls.Length} calls replayed into {replay.Backend}", [], Rows(replay, page)), "--html");
                }

                return replay.Mismatches.IsEmpty ? 0 : 1;
            }
            catch (CommandInputException error)
            {
                Console.Error.WriteLine($"verify trace: {error.Message}");
                return 2;
            }
        });
        return command;
    }

    private static QemuTraceLog Read(FileInfo file)
    {
        try
        {
            return QemuTraceText.Read(InputFile.ReadText(file, "a QEMU trace log"), file.ToString());
        }
        catch (QemuFormatException error)
        {
            throw new CommandInputException(error.Message);
        }
    }

    private static void Print(FileInfo file, QemuTraceLog log, TraceReplay replay, ulong page)
    {
        var console = Console.Out;
        console.WriteLine($"{file}: {log.Events.Length} events read ({(log.UsesIommufd ? "iommufd backend" : "vfio listener")}), "
            + $"{log.Unknown.Values.Sum()} other trace events skipped{Skipped(log)}, {log.OtherLines} other lines");
        console.WriteLine($"replayed into {replay.Backend}: {replay.Calls.Length} calls, "
            + (replay.Backend == "iommufd" ? "results not compared" : $"{replay.Mismatches.Length} with a different result"));

        var ansi = AnsiConsole.Console;
        ansi.Profile.Width = Math.Max(ansi.Profile.Width, 120);
        if (!replay.Mismatches.IsEmpty)
        {
            console.WriteLine();
            console.WriteLine("Calls whose modelled result differs from the trace's:");
            var table = new Table().AddColumns("line", "call", "trace", "model");
            foreach (var c in replay.Mismatches)
            {
                table.AddRow(Number(c.Line), Markup.Escape(c.Operation.ToString()), TraceCall.Name(c.Traced), TraceCall.Name(c.Modelled));
            }

            ansi.Write(table);
        }

        console.WriteLine();
        console.WriteLine(replay.Windows.IsEmpty ? "DMA windows: none" : "DMA windows (unmapped and mapped back to the same host address in one burst):");
        if (!replay.Windows.IsEmpty)
        {
            var table = new Table().AddColumns("burst", "iova", "pages", "unmapped at line", "mapped back at line", "calls later", "µs");
            foreach (var w in replay.Windows)
            {
                table.AddRow(Number(w.Burst), Markup.Escape(w.Iova.ToString()), Number(w.Pages(page)), Number(w.UnmapLine), Number(w.MapLine), Number(w.Calls),
                    w.Microseconds is { } us ? Number(us) : "-");
            }

            ansi.Write(table);
        }

        console.WriteLine();
        console.WriteLine("Per burst, QEMU against the coalescing planner on the same region events:");
        var bursts = new Table().AddColumns("burst", "lines", "QEMU ioctls", "QEMU collateral pages", "planner ioctls", "planner collateral pages");
        foreach (var b in replay.Bursts)
        {
            bursts.AddRow(Number(b.Number), $"{b.FirstLine}-{b.LastLine}", Number(b.Ioctls), Number(b.CollateralBytes / page), Number(b.Planned.Ioctls),
                Number(b.Planned.CollateralBytes / page));
        }

        ansi.Write(bursts);
        foreach (string note in replay.Notes)
        {
            console.WriteLine($"note: {note}");
        }
    }

    // One lane per burst that issued calls: what QEMU did, its windows by call index, and the planner's cost beside it.
    private static List<PictureRow> Rows(TraceReplay replay, ulong page) =>
        [.. replay.Bursts.Where(b => b.Ioctls > 0).Select(b =>
        {
            var calls = replay.Calls.Where(c => c.Burst == b.Number).OrderBy(c => c.Line).ToList();
            int IndexOf(int line) => calls.FindIndex(c => c.Line == line);
            var windows = replay.Windows.Where(w => w.Burst == b.Number)
                .Select(w => new Verify.Vfio.CollateralWindow(w.Iova, IndexOf(w.UnmapLine), IndexOf(w.MapLine) is >= 0 and var m ? m : null))
                .Where(w => w.UnmappedAt >= 0);
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"burst {b.Number} (lines {b.FirstLine}-{b.LastLine}): {b.Ioctls} calls, {b.CollateralBytes / page} collateral pages; the coalescing planner: {b.Planned.Ioctls} ioctls, {b.Planned.CollateralBytes / page} pages");
            return new PictureRow($"burst-{b.Number}", summary, [.. calls.Select(c => c.Operation)], [.. windows]);
        })];

    private static string Skipped(QemuTraceLog log) =>
        log.Unknown.Count == 0 ? "" : $" ({string.Join(", ", log.Unknown.Take(5).Select(u => $"{u.Key} x{u.Value}"))}{(log.Unknown.Count > 5 ? ", ..." : "")})";

    private static JsonObject ToJson(FileInfo file, QemuTraceLog log, TraceReplay replay, ulong page) => new()
    {
        ["file"] = file.ToString(),
        ["backend"] = replay.Backend,
        ["hostPageSize"] = page,
        ["events"] = log.Events.Length,
        ["unknownEvents"] = new JsonObject([.. log.Unknown.Select(u => KeyValuePair.Create(u.Key, (JsonNode?)u.Value))]),
        ["otherLines"] = log.OtherLines,
        ["calls"] = new JsonArray([.. replay.Calls.Select(c => new JsonObject
        {
            ["line"] = c.Line,
            ["burst"] = c.Burst,
            ["call"] = c.Operation.ToString(),
            ["trace"] = TraceCall.Name(c.Traced),
            ["model"] = c.Modelled is null ? null : TraceCall.Name(c.Modelled),
            ["differs"] = c.Differs,
        })]),
        ["windows"] = new JsonArray([.. replay.Windows.Select(w => new JsonObject
        {
            ["burst"] = w.Burst,
            ["iova"] = w.Iova.ToString(),
            ["pages"] = (decimal)w.Pages(page),
            ["unmapLine"] = w.UnmapLine,
            ["mapLine"] = w.MapLine,
            ["calls"] = w.Calls,
            ["microseconds"] = w.Microseconds is { } us ? (decimal)us : null,
        })]),
        ["bursts"] = new JsonArray([.. replay.Bursts.Select(b => new JsonObject
        {
            ["burst"] = b.Number,
            ["firstLine"] = b.FirstLine,
            ["lastLine"] = b.LastLine,
            ["ioctls"] = b.Ioctls,
            ["collateralPages"] = (decimal)(b.CollateralBytes / page),
            ["plannerIoctls"] = b.Planned.Ioctls,
            ["plannerCollateralPages"] = (decimal)(b.Planned.CollateralBytes / page),
            ["plannerOperations"] = new JsonArray([.. b.Planned.Operations.Select(o => JsonValue.Create(o.ToString()))]),
        })]),
        ["notes"] = new JsonArray([.. replay.Notes.Select(n => JsonValue.Create(n))]),
    };

    private static string Number<T>(T value)
        where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
