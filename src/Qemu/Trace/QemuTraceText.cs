using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Verify.Qemu.Trace;

/// <summary>
/// Reads and writes QEMU trace logs as users post them: the <c>log</c> backend's lines (<c>NAME ARGS</c>, with or without
/// the <c>PID@SECONDS.MICROSECONDS:</c> prefix of <c>-msg timestamp=on</c> builds), <c>error_report</c> lines (optionally
/// after an ISO 8601 timestamp and the program name) and anything else a terminal shows in between. The formats are
/// those of QEMU's <c>hw/vfio/trace-events</c> and <c>backends/trace-events</c> (docs/semantics.md 2.5).
/// </summary>
public static partial class QemuTraceText
{
    private const string Hex = "0x([0-9a-fA-F]+)";

    /// <summary>Reads a trace log.</summary>
    /// <param name="text">The log.</param>
    /// <param name="file">The file name for messages.</param>
    /// <returns>The events understood, the other events counted.</returns>
    /// <exception cref="QemuFormatException">An event this reader knows is printed in a shape no QEMU version prints; the
    /// message names the file, the line and the shape expected.</exception>
    public static QemuTraceLog Read(string text, string file = "trace")
    {
        ArgumentNullException.ThrowIfNull(text);
        var events = ImmutableArray.CreateBuilder<QemuTraceEvent>();
        var unknown = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int other = 0, lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            string line = rawLine.TrimEnd().ToString();
            if (line.Length == 0)
            {
                continue;
            }

            if (ReadLine(line, file, lineNumber) is { } e)
            {
                events.Add(e);
            }
            else if (EventName(Unprefixed(line).Body) is { } name)
            {
                unknown[name] = unknown.GetValueOrDefault(name) + 1;
            }
            else
            {
                other++;
            }
        }

        return new QemuTraceLog(events.ToImmutable(), unknown.ToImmutableSortedDictionary(StringComparer.Ordinal), other);
    }

    /// <summary>Writes events as QEMU prints them, one line each (with each event's stamp, when it has one); error
    /// events as <c>error_report</c> prints them, after <paramref name="program"/>.</summary>
    /// <param name="events">The events.</param>
    /// <param name="program">The program name QEMU puts before an error report.</param>
    /// <returns>The text; <see cref="Read"/> gives the events back.</returns>
    public static string Write(IEnumerable<QemuTraceEvent> events, string program = "qemu-system-x86_64")
    {
        ArgumentNullException.ThrowIfNull(events);
        var text = new StringBuilder();
        foreach (var e in events)
        {
            text.Append(Format(e, program)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>One event as QEMU prints it, without the line break.</summary>
    /// <param name="e">The event.</param>
    /// <param name="program">The program name before an error report.</param>
    /// <returns>The line.</returns>
    public static string Format(QemuTraceEvent e, string program = "qemu-system-x86_64")
    {
        ArgumentNullException.ThrowIfNull(e);
        var c = CultureInfo.InvariantCulture;
        string body = e switch
        {
            QemuTraceEvent.RegionAddRam r => string.Create(c, $"region_add [ram] 0x{r.Iova:x} - 0x{r.Last:x} [{Pointer(r.Vaddr)}]"),
            QemuTraceEvent.RegionAddIommu r => string.Create(c, $"region_add [iommu] {(r.Region.Length == 0 ? "" : r.Region + " ")}0x{r.Iova:x} - 0x{r.Last:x}"),
            QemuTraceEvent.RegionAddNoDmaMap r => string.Create(c, $"Region \"{r.Region}\" 0x{r.Iova:x} size=0x{r.Size:x} is not aligned to 0x{r.PageSize:x} and cannot be mapped for DMA"),
            QemuTraceEvent.RegionDel r => string.Create(c, $"region_del 0x{r.Iova:x} - 0x{r.Last:x}"),
            QemuTraceEvent.RegionDelIommu r => $"region_del [iommu] {r.Region}",
            QemuTraceEvent.RegionSkip r => string.Create(c, $"SKIPPING {r.Callback} 0x{r.Start:x} - 0x{r.Last:x}"),
            QemuTraceEvent.UnmapOverflowWorkaround => "",
            QemuTraceEvent.MapFailed r => string.Create(c, $"({r.Container}, 0x{r.Iova:x}, 0x{r.Size:x}, {Pointer(r.Vaddr)}) = {r.Return} ({r.Reason})"),
            QemuTraceEvent.UnmapFailed r => string.Create(c, $"({r.Container}, 0x{r.Iova:x}, 0x{r.Size:x}) = {r.Return} ({r.Reason})"),
            QemuTraceEvent.IommufdMap { Vaddr: { } vaddr } r =>
                string.Create(c, $" iommufd={r.Iommufd} ioas={r.Ioas} iova=0x{r.Iova:x} size=0x{r.Size:x} addr={Pointer(vaddr)} readonly={(r.ReadOnly ? 1 : 0)} ({r.Return})"),
            QemuTraceEvent.IommufdMap r =>
                string.Create(c, $" iommufd={r.Iommufd} ioas={r.Ioas} iova=0x{r.Iova:x} size=0x{r.Size:x} fd={r.File} start={r.FileStart} readonly={(r.ReadOnly ? 1 : 0)} ({r.Return})"),
            QemuTraceEvent.IommufdUnmap r when r.Name == NonExistent =>
                string.Create(c, $" Unmap nonexistent mapping: iommufd={r.Iommufd} ioas={r.Ioas} iova=0x{r.Iova:x} size=0x{r.Size:x} ({r.Return})"),
            QemuTraceEvent.IommufdUnmap r => string.Create(c, $" iommufd={r.Iommufd} ioas={r.Ioas} iova=0x{r.Iova:x} size=0x{r.Size:x} ({r.Return})"),
            _ => throw new ArgumentException($"no QEMU format for {e.GetType().Name}", nameof(e)),
        };
        string stamp = e.Stamp?.ToString() ?? "";
        return e is QemuTraceEvent.MapFailed or QemuTraceEvent.UnmapFailed
            ? $"{program}: {e.Name}{body}"
            : body.Length == 0 ? $"{stamp}{e.Name}" : $"{stamp}{e.Name} {body}";
    }

    private const string NonExistent = "iommufd_backend_unmap_dma_non_exist";

    // %p prints (nil) for a null pointer in glibc.
    private static string Pointer(ulong value) => value == 0 ? "(nil)" : string.Create(CultureInfo.InvariantCulture, $"0x{value:x}");

    private static QemuTraceEvent? ReadLine(string line, string file, int lineNumber)
    {
        var (stamp, body) = Unprefixed(line);
        if (ErrorLine().Match(body) is { Success: true } error)
        {
            return ReadError(error, file, lineNumber) with { Line = lineNumber };
        }

        if (EventName(body) is not { } name)
        {
            return null;
        }

        string args = body.Length > name.Length ? body[(name.Length + 1)..] : "";
        var e = ReadEvent(name, args, file, lineNumber);
        return e is null ? null : e with { Line = lineNumber, Stamp = stamp };
    }

    private static QemuTraceEvent? ReadEvent(string name, string args, string file, int lineNumber)
    {
        Match Expect(Regex shape, string printed)
        {
            var m = shape.Match(args);
            return m.Success ? m : throw new QemuFormatException(file, lineNumber, $"{name}: expected \"{printed}\", got \"{args}\"");
        }

        switch (name)
        {
            case "vfio_listener_region_add_ram":
            {
                var m = Expect(AddRam(), "region_add [ram] 0xSTART - 0xLAST [VADDR]");
                return new QemuTraceEvent.RegionAddRam(Number(m, 1), Number(m, 2), PointerValue(m.Groups[3].Value));
            }

            case "vfio_listener_region_add_iommu":
            {
                var m = Expect(AddIommu(), "region_add [iommu] [NAME ]0xSTART - 0xLAST");
                return new QemuTraceEvent.RegionAddIommu(m.Groups[1].Value, Number(m, 2), Number(m, 3));
            }

            case "vfio_listener_region_add_no_dma_map":
            {
                var m = Expect(NoDmaMap(), "Region \"NAME\" 0xIOVA size=0xSIZE is not aligned to 0xPAGE and cannot be mapped for DMA");
                return new QemuTraceEvent.RegionAddNoDmaMap(m.Groups[1].Value, Number(m, 2), Number(m, 3), Number(m, 4));
            }

            case "vfio_listener_region_del":
            {
                var m = Expect(Del(), "region_del 0xSTART - 0xLAST");
                return new QemuTraceEvent.RegionDel(Number(m, 1), Number(m, 2));
            }

            case "vfio_listener_region_del_iommu":
                return new QemuTraceEvent.RegionDelIommu(Expect(DelIommu(), "region_del [iommu] NAME").Groups[1].Value);

            case "vfio_listener_region_skip" or "vfio_listener_region_add_skip" or "vfio_listener_region_del_skip":
            {
                var m = Expect(Skip(), "SKIPPING CALLBACK 0xSTART - 0xLAST");
                return new QemuTraceEvent.RegionSkip(name, m.Groups[1].Value, Number(m, 2), Number(m, 3));
            }

            case "vfio_dma_unmap_overflow_workaround" or "vfio_legacy_dma_unmap_overflow_workaround":
                return new QemuTraceEvent.UnmapOverflowWorkaround(name);

            case "iommufd_backend_map_dma" or "iommufd_backend_map_file_dma" or "iommufd_backend_unmap_dma" or NonExistent:
                return ReadIommufd(name, args, file, lineNumber);

            default:
                return null;
        }
    }

    private static QemuTraceEvent ReadIommufd(string name, string args, string file, int lineNumber)
    {
        bool map = name is "iommufd_backend_map_dma" or "iommufd_backend_map_file_dma";
        string shape = name switch
        {
            "iommufd_backend_map_dma" => " iommufd=N ioas=N iova=0xIOVA size=0xSIZE addr=VADDR readonly=0|1 (RET)",
            "iommufd_backend_map_file_dma" => " iommufd=N ioas=N iova=0xIOVA size=0xSIZE fd=N start=N readonly=0|1 (RET)",
            NonExistent => " Unmap nonexistent mapping: iommufd=N ioas=N iova=0xIOVA size=0xSIZE (RET)",
            _ => " iommufd=N ioas=N iova=0xIOVA size=0xSIZE (RET)",
        };
        var m = IommufdArgs().Match(args);
        if (!m.Success)
        {
            throw new QemuFormatException(file, lineNumber, $"{name}: expected \"{shape}\", got \"{args}\"");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < m.Groups["key"].Captures.Count; i++)
        {
            fields[m.Groups["key"].Captures[i].Value] = m.Groups["value"].Captures[i].Value;
        }

        string Field(string key) => fields.TryGetValue(key, out var v) ? v
            : throw new QemuFormatException(file, lineNumber, $"{name}: expected \"{key}=\" in \"{shape}\", got \"{args}\"");

        try
        {
            int iommufd = int.Parse(Field("iommufd"), CultureInfo.InvariantCulture);
            uint ioas = uint.Parse(Field("ioas"), CultureInfo.InvariantCulture);
            ulong iova = HexValue(Field("iova")), size = HexValue(Field("size"));
            int ret = int.Parse(m.Groups["ret"].Value, CultureInfo.InvariantCulture);
            if (!map)
            {
                return new QemuTraceEvent.IommufdUnmap(name, iommufd, ioas, iova, size, ret);
            }

            bool readOnly = Field("readonly") is "1" or "true";
            return name == "iommufd_backend_map_dma"
                ? new QemuTraceEvent.IommufdMap(name, iommufd, ioas, iova, size, PointerValue(Field("addr")), null, null, readOnly, ret)
                : new QemuTraceEvent.IommufdMap(name, iommufd, ioas, iova, size, null, int.Parse(Field("fd"), CultureInfo.InvariantCulture),
                    ulong.Parse(Field("start"), CultureInfo.InvariantCulture), readOnly, ret);
        }
        catch (Exception error) when (error is FormatException or OverflowException)
        {
            throw new QemuFormatException(file, lineNumber, $"{name}: expected \"{shape}\", got \"{args}\" ({error.Message})");
        }
    }

    private static QemuTraceEvent ReadError(Match m, string file, int lineNumber)
    {
        string function = m.Groups["fn"].Value;
        var args = m.Groups["args"].Value.Split(", ");
        int ret = int.Parse(m.Groups["ret"].Value, CultureInfo.InvariantCulture);
        string reason = m.Groups["reason"].Value;
        bool unmap = function.EndsWith("unmap", StringComparison.Ordinal);
        if (args.Length != (unmap ? 3 : 4) || !args[1].StartsWith("0x", StringComparison.Ordinal) || !args[2].StartsWith("0x", StringComparison.Ordinal))
        {
            throw new QemuFormatException(file, lineNumber,
                $"{function}: expected \"{function}(CONTAINER, 0xIOVA, 0xSIZE{(unmap ? "" : ", VADDR")}) = -ERRNO (REASON)\", got \"{m.Value}\"");
        }

        return unmap
            ? new QemuTraceEvent.UnmapFailed(function, args[0], HexValue(args[1]), HexValue(args[2]), ret, reason)
            : new QemuTraceEvent.MapFailed(function, args[0], HexValue(args[1]), HexValue(args[2]), PointerValue(args[3]), ret, reason);
    }

    /// <summary>The line without what surrounds the message: an ISO 8601 timestamp, the program name of an error report,
    /// the log backend's <c>PID@SECONDS.MICROSECONDS:</c>.</summary>
    private static (QemuTraceStamp? Stamp, string Body) Unprefixed(string line)
    {
        string body = line;
        if (IsoTimestamp().Match(body) is { Success: true } iso)
        {
            body = body[iso.Length..];
        }

        if (JournalPrefix().Match(body) is { Success: true } journal)
        {
            body = body[journal.Length..];
        }

        if (ProgramName().Match(body) is { Success: true } program)
        {
            body = body[program.Length..];
        }

        if (LogStamp().Match(body) is { Success: true } stamp
            && int.TryParse(stamp.Groups[1].Value, CultureInfo.InvariantCulture, out int thread)
            && ulong.TryParse(stamp.Groups[2].Value, CultureInfo.InvariantCulture, out ulong seconds)
            && uint.TryParse(stamp.Groups[3].Value, CultureInfo.InvariantCulture, out uint micro))
        {
            return (new QemuTraceStamp(thread, seconds, micro), body[stamp.Length..]);
        }

        return (null, body);
    }

    // A trace event's name: lower case with at least one underscore, then a space or the end of the line.
    private static string? EventName(string body) => TraceName().Match(body) is { Success: true } m ? m.Groups[1].Value : null;

    private static ulong Number(Match m, int group) => ulong.Parse(m.Groups[group].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static ulong HexValue(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : throw new FormatException($"\"{text}\" is not 0x-prefixed hex");

    private static ulong PointerValue(string text) => text == "(nil)" ? 0 : HexValue(text);

    [GeneratedRegex(@"^([a-z][a-z0-9]*_[a-z0-9_]+)(?: |$)")]
    private static partial Regex TraceName();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?\s+")]
    private static partial Regex IsoTimestamp();

    // error_report's program name: the basename of argv[0] (qemu-system-x86_64; Proxmox runs it as kvm).
    [GeneratedRegex(@"^(?:[A-Za-z0-9_./-]*qemu[A-Za-z0-9_./-]*|kvm): ")]
    private static partial Regex ProgramName();

    // What journald puts before a unit's line: QEMU[3989106]: .
    [GeneratedRegex(@"^[A-Za-z0-9_.-]+\[\d+\]: ")]
    private static partial Regex JournalPrefix();

    [GeneratedRegex(@"^(\d+)@(\d+)\.(\d+):")]
    private static partial Regex LogStamp();

    [GeneratedRegex(@"^(?<fn>vfio_(?:container_)?dma_(?:un)?map)\((?<args>[^()]*(?:\(nil\)[^()]*)?)\) = (?<ret>-?\d+) \((?<reason>[^)]*)\)$")]
    private static partial Regex ErrorLine();

    [GeneratedRegex("^region_add \\[ram\\] " + Hex + " - " + Hex + @" \[(0x[0-9a-fA-F]+|\(nil\))\]$")]
    private static partial Regex AddRam();

    // QEMU up to 9.x prints no region name here.
    [GeneratedRegex(@"^region_add \[iommu\] (?:(.*) )?" + Hex + " - " + Hex + "$")]
    private static partial Regex AddIommu();

    [GeneratedRegex("^Region \"(.*)\" " + Hex + " size=" + Hex + " is not aligned to " + Hex + " and cannot be mapped for DMA$")]
    private static partial Regex NoDmaMap();

    [GeneratedRegex("^region_del " + Hex + " - " + Hex + "$")]
    private static partial Regex Del();

    [GeneratedRegex(@"^region_del \[iommu\] (.*)$")]
    private static partial Regex DelIommu();

    [GeneratedRegex("^SKIPPING (.+) " + Hex + " - " + Hex + "$")]
    private static partial Regex Skip();

    [GeneratedRegex(@"^\s*(?:Unmap nonexistent mapping:\s*)?(?:(?<key>[a-z]+)=(?<value>\S+)\s+)+\((?<ret>-?\d+)\)$")]
    private static partial Regex IommufdArgs();
}
