using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Harness.External;

/// <summary>
/// The values of the implementation protocol (docs/protocol.md) in JSON: addresses as <c>0x</c> hex strings, ranges as
/// inclusive <c>start</c>/<c>last</c>, sections, listener callbacks and ioctls. Reading is strict and every refusal
/// names the field's path, because what is read is the answer of the implementation under test.
/// </summary>
internal static class ProtocolCodec
{
    /// <summary>A 64-bit value as the protocol writes it.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>A range as <c>{"start","last"}</c>.</summary>
    public static JsonObject Range(AddressRange range) => new() { ["start"] = Hex(range.Start), ["last"] = Hex(range.Last) };

    /// <summary>A section: every field, always.</summary>
    public static JsonObject Section(in FlatRange r) => new()
    {
        ["start"] = Hex(r.Range.Start),
        ["last"] = Hex(r.Range.Last),
        ["region"] = r.Region,
        ["kind"] = KindName(r.Kind),
        ["offset"] = Hex(r.OffsetInRegion),
        ["readonly"] = r.ReadOnly,
        ["nonvolatile"] = r.NonVolatile,
        ["romd"] = r.RomdMode,
        ["dirty"] = r.DirtyLogMask,
        ["unmergeable"] = r.Unmergeable,
        ["priority"] = r.Priority,
    };

    /// <summary>A view as an array of sections.</summary>
    public static JsonArray View(FlatView view) => [.. view.Ranges.Select(r => (JsonNode)Section(r))];

    /// <summary>A listener callback.</summary>
    public static JsonObject Event(in TopologyEvent e)
    {
        var o = new JsonObject { ["event"] = EventName(e.Kind), ["section"] = Section(e.Range) };
        if (e.Kind is TopologyEventKind.LogStart or TopologyEventKind.LogStop)
        {
            o["old"] = e.OldLogMask;
            o["new"] = e.NewLogMask;
        }

        return o;
    }

    /// <summary>The protocol's name of a callback.</summary>
    public static string EventName(TopologyEventKind kind) => kind switch
    {
        TopologyEventKind.Delete => "region_del",
        TopologyEventKind.Nop => "region_nop",
        TopologyEventKind.Add => "region_add",
        TopologyEventKind.LogStart => "log_start",
        _ => "log_stop",
    };

    /// <summary>The protocol's name of a section kind (what a FlatView holds: never a container, alias or plain ROM).</summary>
    public static string KindName(RegionKind kind) => kind switch
    {
        RegionKind.Ram => "ram",
        RegionKind.RomDevice => "rom-device",
        RegionKind.RamDevice => "ram-device",
        RegionKind.Io => "io",
        RegionKind.Iommu => "iommu",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Reads a required field of an answer.</summary>
    public static JsonNode Field(JsonObject o, string name, string path) =>
        o.TryGetPropertyValue(name, out var node) && node is not null ? node : throw new ProtocolValueException($"{path}.{name}", "a value (the field is missing)");

    /// <summary>Reads a <c>0x</c> hex string.</summary>
    public static ulong ReadHex(JsonObject o, string name, string path)
    {
        var node = Field(o, name, path);
        string? text = node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (text is null || text.Length < 3 || text.Length > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')
            || !ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
        {
            throw new ProtocolValueException($"{path}.{name}", $"a 64-bit \"0x...\" hex string, got {Shown(node)}");
        }

        return value;
    }

    /// <summary>Reads a whole number in a range.</summary>
    public static int ReadInt(JsonObject o, string name, string path, int min, int max)
    {
        var node = Field(o, name, path);
        if (node is JsonValue v && v.TryGetValue(out int i) && i >= min && i <= max)
        {
            return i;
        }

        throw new ProtocolValueException($"{path}.{name}", $"a whole number from {min} to {max}, got {Shown(node)}");
    }

    /// <summary>Reads a boolean.</summary>
    public static bool ReadBool(JsonObject o, string name, string path)
    {
        var node = Field(o, name, path);
        return node is JsonValue v && v.TryGetValue(out bool b) ? b : throw new ProtocolValueException($"{path}.{name}", $"true or false, got {Shown(node)}");
    }

    /// <summary>Reads a string.</summary>
    public static string ReadString(JsonObject o, string name, string path)
    {
        var node = Field(o, name, path);
        return node is JsonValue v && v.TryGetValue(out string? s) ? s : throw new ProtocolValueException($"{path}.{name}", $"a string, got {Shown(node)}");
    }

    /// <summary>Reads an object field.</summary>
    public static JsonObject ReadObject(JsonObject o, string name, string path) =>
        Field(o, name, path) as JsonObject ?? throw new ProtocolValueException($"{path}.{name}", $"an object, got {Shown(o[name])}");

    /// <summary>Reads an array field.</summary>
    public static JsonArray ReadArray(JsonObject o, string name, string path) =>
        Field(o, name, path) as JsonArray ?? throw new ProtocolValueException($"{path}.{name}", $"an array, got {Shown(o[name])}");

    /// <summary>Reads an inclusive range.</summary>
    public static AddressRange ReadRange(JsonObject o, string path)
    {
        ulong start = ReadHex(o, "start", path), last = ReadHex(o, "last", path);
        if (last < start)
        {
            throw new ProtocolValueException($"{path}.last", $"an address at or above start {Hex(start)}, got {Hex(last)}");
        }

        return AddressRange.FromBounds(start, (UInt128)last + 1);
    }

    /// <summary>Reads a section the implementation answered.</summary>
    public static FlatRange ReadSection(JsonNode? node, string path)
    {
        var o = node as JsonObject ?? throw new ProtocolValueException(path, $"a section object, got {Shown(node)}");
        var range = ReadRange(o, path);
        string kindName = ReadString(o, "kind", path);
        var kind = kindName switch
        {
            "ram" => RegionKind.Ram,
            "rom-device" => RegionKind.RomDevice,
            "ram-device" => RegionKind.RamDevice,
            "io" => RegionKind.Io,
            "iommu" => RegionKind.Iommu,
            _ => throw new ProtocolValueException($"{path}.kind", $"ram, rom-device, ram-device, io or iommu, got \"{kindName}\""),
        };
        int priority = o.ContainsKey("priority") ? ReadInt(o, "priority", path, int.MinValue, int.MaxValue) : 0;
        return new FlatRange(range, ReadString(o, "region", path), kind, ReadHex(o, "offset", path),
            ReadBool(o, "readonly", path), ReadBool(o, "nonvolatile", path), ReadBool(o, "romd", path),
            (byte)ReadInt(o, "dirty", path, 0, 255), ReadBool(o, "unmergeable", path), priority);
    }

    /// <summary>Reads a view the implementation answered (validated by <see cref="FlatView.Create"/> by the caller's check).</summary>
    public static ImmutableArray<FlatRange> ReadSections(JsonObject o, string name, string path)
    {
        var array = ReadArray(o, name, path);
        var ranges = ImmutableArray.CreateBuilder<FlatRange>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            ranges.Add(ReadSection(array[i], $"{path}.{name}[{i}]"));
        }

        return ranges.MoveToImmutable();
    }

    /// <summary>Reads listener callbacks the implementation answered.</summary>
    public static ImmutableArray<TopologyEvent> ReadEvents(JsonObject o, string path)
    {
        var array = ReadArray(o, "events", path);
        var events = ImmutableArray.CreateBuilder<TopologyEvent>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            string at = $"{path}.events[{i}]";
            var e = array[i] as JsonObject ?? throw new ProtocolValueException(at, $"an event object, got {Shown(array[i])}");
            string name = ReadString(e, "event", at);
            var kind = name switch
            {
                "region_del" => TopologyEventKind.Delete,
                "region_nop" => TopologyEventKind.Nop,
                "region_add" => TopologyEventKind.Add,
                "log_start" => TopologyEventKind.LogStart,
                "log_stop" => TopologyEventKind.LogStop,
                _ => throw new ProtocolValueException($"{at}.event", $"region_del, region_nop, region_add, log_start or log_stop, got \"{name}\""),
            };
            var section = ReadSection(Field(e, "section", at), $"{at}.section");
            events.Add(kind is TopologyEventKind.LogStart or TopologyEventKind.LogStop
                ? new TopologyEvent(kind, section, (byte)ReadInt(e, "old", at, 0, 255), (byte)ReadInt(e, "new", at, 0, 255))
                : new TopologyEvent(kind, section));
        }

        return events.MoveToImmutable();
    }

    /// <summary>Reads the ioctls a listener answered.</summary>
    public static ImmutableArray<DmaOperation> ReadCalls(JsonObject o, string path)
    {
        var array = ReadArray(o, "calls", path);
        var calls = ImmutableArray.CreateBuilder<DmaOperation>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            string at = $"{path}.calls[{i}]";
            var c = array[i] as JsonObject ?? throw new ProtocolValueException(at, $"a call object, got {Shown(array[i])}");
            string op = ReadString(c, "op", at);
            calls.Add(op switch
            {
                "map" => new DmaOperation.Map(new DmaMapping(ReadSized(c, at), ReadString(c, "region", at), ReadHex(c, "offset", at), ReadBool(c, "writable", at))),
                "unmap" => new DmaOperation.Unmap(ReadSized(c, at)),
                "unmap_all" => new DmaOperation.UnmapAll(),
                _ => throw new ProtocolValueException($"{at}.op", $"map, unmap or unmap_all, got \"{op}\""),
            });
        }

        return calls.MoveToImmutable();
    }

    /// <summary>Rights as the protocol writes them.</summary>
    public static string Rights(Protection protection) => PageTableText.Of(protection);

    /// <summary>Reads rights.</summary>
    public static Protection ReadRights(JsonObject o, string name, string path) => ReadString(o, name, path) switch
    {
        "r" => Protection.Read,
        "w" => Protection.Write,
        "rw" => Protection.ReadWrite,
        var other => throw new ProtocolValueException($"{path}.{name}", $"r, w or rw, got \"{other}\""),
    };

    /// <summary>A node as a message quotes it: short, one line.</summary>
    public static string Shown(JsonNode? node)
    {
        string text = node?.ToJsonString() ?? "null";
        return text.Length <= 80 ? text : text[..77] + "...";
    }

    private static AddressRange ReadSized(JsonObject c, string at)
    {
        ulong iova = ReadHex(c, "iova", at), size = ReadHex(c, "size", at);
        // A zero size is the listener's mistake for the container to refuse (DL-02), not a malformed answer.
        if ((UInt128)iova + size > AddressSpace.End)
        {
            throw new ProtocolValueException($"{at}.size", $"a size that ends inside the 64-bit space from iova {Hex(iova)}, got {Hex(size)}");
        }

        return new AddressRange(iova, size);
    }
}
