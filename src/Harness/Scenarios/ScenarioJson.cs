using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Core;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Vfio;

namespace Verify.Harness.Scenarios;

/// <summary>The pieces several step codecs share: numbers as hex strings, ranges, regions, flat ranges, DMA options
/// and container traits, optional lists of objects. Reading is strict (<see cref="JsonWalker"/>); writing leaves
/// defaults out.</summary>
internal static class ScenarioJson
{
    /// <summary>Writes a number as the format's hex string.</summary>
    public static void Number(Utf8JsonWriter w, string name, UInt128 value) => w.WriteString(name, ScenarioNumbers.Format(value));

    /// <summary>Writes an array of strings.</summary>
    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    /// <summary>Writes an array of objects, or nothing when there are none.</summary>
    public static void Objects<T>(Utf8JsonWriter w, string name, IEnumerable<T> values, Action<T> write)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in list)
        {
            w.WriteStartObject();
            write(v);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Writes a string unless it is null.</summary>
    public static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>Reads a range given by its start and either its size or (<paramref name="endIsBound"/>) its end.</summary>
    public static AddressRange ReadRange(JsonWalker b, string startName, string otherName, bool endIsBound = false)
    {
        ulong start = b.Address(startName);
        UInt128 other = b.Size(otherName);
        UInt128 end = endIsBound ? other : (UInt128)start + other;
        if (end < start || end > AddressSpace.End)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, otherName), endIsBound
                ? $"expected an end in [0x{start:x}, 2^64], got {ScenarioNumbers.Format(other > AddressSpace.End ? AddressSpace.End : other)}"
                : $"expected a size that keeps the range inside 2^64 from 0x{start:x}");
        }

        return AddressRange.FromBounds(start, end);
    }

    /// <summary>Reads an optional array of objects, each strictly.</summary>
    public static ImmutableArray<T> ReadList<T>(JsonWalker b, string name, string what, Func<JsonWalker, T> read)
    {
        if (b.Optional(name) is not { } array)
        {
            return [];
        }

        string path = JsonWalker.Child(b.Path, name);
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected(path, what, array);
        }

        var items = ImmutableArray.CreateBuilder<T>();
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            var w = new JsonWalker(element, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"));
            items.Add(read(w));
            w.Done();
        }

        return items.ToImmutable();
    }

    /// <summary>The fields a region's definition may hold.</summary>
    public static ImmutableArray<string> RegionFields { get; } = ["name", "kind", "size", "target", "offset", "enabled", "readonly", "nonvolatile", "unmergeable", "dirty", "romd"];

    /// <summary>Reads a region's definition.</summary>
    public static MemoryRegion ReadRegion(JsonWalker b)
    {
        string name = b.String("name");
        var kind = b.Choice("kind", ScenarioVocabulary.RegionKinds);
        var size = b.Size("size");
        if (size > AddressSpace.End)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "size"), "expected a size of at most 2^64");
        }

        var region = new MemoryRegion(name, kind, size)
        {
            Enabled = b.OptionalBool("enabled") ?? true,
            ReadOnly = b.OptionalBool("readonly") ?? kind == RegionKind.Rom,
            NonVolatile = b.OptionalBool("nonvolatile") ?? false,
            Unmergeable = b.OptionalBool("unmergeable") ?? false,
            DirtyLogMask = (byte)(b.OptionalInt("dirty", 0, 255) ?? 0),
            RomdMode = b.OptionalBool("romd") ?? true,
        };
        if (kind == RegionKind.Alias)
        {
            region = region with { AliasTarget = b.String("target"), AliasOffset = b.OptionalAddress("offset") ?? 0 };
        }
        else if (b.Has("target") || b.Has("offset"))
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, b.Has("target") ? "target" : "offset"),
                $"only an alias has a target and offset; this region's kind is \"{ScenarioVocabulary.NameOf(ScenarioVocabulary.RegionKinds, kind)}\"");
        }

        return region;
    }

    /// <summary>Writes a region's definition.</summary>
    public static void WriteRegion(Utf8JsonWriter w, MemoryRegion r)
    {
        w.WriteString("name", r.Name);
        w.WriteString("kind", ScenarioVocabulary.KindName(r.Kind));
        Number(w, "size", r.Size);
        if (r.Kind == RegionKind.Alias)
        {
            w.WriteString("target", r.AliasTarget);
            if (r.AliasOffset != 0) { Number(w, "offset", r.AliasOffset); }
        }

        if (!r.Enabled) { w.WriteBoolean("enabled", false); }
        if (r.ReadOnly != (r.Kind == RegionKind.Rom)) { w.WriteBoolean("readonly", r.ReadOnly); }
        if (r.NonVolatile) { w.WriteBoolean("nonvolatile", true); }
        if (r.Unmergeable) { w.WriteBoolean("unmergeable", true); }
        if (r.DirtyLogMask != 0) { w.WriteNumber("dirty", r.DirtyLogMask); }
        if (!r.RomdMode) { w.WriteBoolean("romd", false); }
    }

    /// <summary>The fields a flat range may hold.</summary>
    public static ImmutableArray<string> FlatRangeFields { get; } = ["start", "end", "region", "kind", "offset", "readonly", "nonvolatile", "romd", "dirty", "unmergeable", "priority"];

    /// <summary>Reads an array of flat ranges.</summary>
    public static ImmutableArray<FlatRange> ReadFlatRanges(JsonWalker b, string name)
    {
        string path = JsonWalker.Child(b.Path, name);
        var array = b.Required(name);
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected(path, "an array of ranges", array);
        }

        var ranges = ImmutableArray.CreateBuilder<FlatRange>();
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            var r = new JsonWalker(element, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"));
            var range = ReadRange(r, "start", "end", endIsBound: true);
            var flat = new FlatRange(range, r.String("region"), r.Choice("kind", ScenarioVocabulary.RegionKinds), r.OptionalAddress("offset") ?? 0,
                ReadOnly: r.OptionalBool("readonly") ?? false,
                NonVolatile: r.OptionalBool("nonvolatile") ?? false,
                RomdMode: r.OptionalBool("romd") ?? true,
                DirtyLogMask: (byte)(r.OptionalInt("dirty", 0, 255) ?? 0),
                Unmergeable: r.OptionalBool("unmergeable") ?? false,
                Priority: r.OptionalInt("priority", int.MinValue, int.MaxValue) ?? 0);
            r.Done();
            ranges.Add(flat);
        }

        return ranges.ToImmutable();
    }

    /// <summary>Writes an array of flat ranges.</summary>
    public static void WriteFlatRanges(Utf8JsonWriter w, string name, IEnumerable<FlatRange> ranges)
    {
        w.WriteStartArray(name);
        foreach (var r in ranges)
        {
            w.WriteStartObject();
            Number(w, "start", r.Range.Start);
            Number(w, "end", r.Range.End);
            w.WriteString("region", r.Region);
            w.WriteString("kind", ScenarioVocabulary.KindName(r.Kind));
            if (r.OffsetInRegion != 0) { Number(w, "offset", r.OffsetInRegion); }
            if (r.ReadOnly) { w.WriteBoolean("readonly", true); }
            if (r.NonVolatile) { w.WriteBoolean("nonvolatile", true); }
            if (!r.RomdMode) { w.WriteBoolean("romd", false); }
            if (r.DirtyLogMask != 0) { w.WriteNumber("dirty", r.DirtyLogMask); }
            if (r.Unmergeable) { w.WriteBoolean("unmergeable", true); }
            if (r.Priority != 0) { w.WriteNumber("priority", r.Priority); }
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Reads a listener's section rules (<c>host-page</c>, <c>iommu-page</c>).</summary>
    public static DmaOptions ReadDmaOptions(JsonWalker b)
    {
        ulong hostPage = b.OptionalAddress("host-page") ?? 0x1000;
        ulong iommuPage = b.OptionalAddress("iommu-page") ?? 0x1000;
        foreach (var (name, value) in new[] { ("host-page", hostPage), ("iommu-page", iommuPage) })
        {
            if (!ulong.IsPow2(value) || value < 0x1000)
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, name), $"expected a power of two of at least 4K, got 0x{value:x}");
            }
        }

        return new DmaOptions { HostPageSize = hostPage, IommuMinPageSize = iommuPage };
    }

    /// <summary>Reads a container's traits (<c>bisect</c>, <c>unmap-all</c>, <c>entry-limit</c>).</summary>
    public static DmaBackendTraits ReadTraits(JsonWalker b) => new()
    {
        UnmapMayBisect = b.OptionalBool("bisect") ?? false,
        SupportsUnmapAll = b.OptionalBool("unmap-all") ?? true,
        EntryLimit = b.OptionalInt("entry-limit", 1, int.MaxValue) ?? DmaBackendTraits.DefaultEntryLimit,
    };

    /// <summary>Writes a container's traits, defaults left out.</summary>
    public static void WriteTraits(Utf8JsonWriter w, DmaBackendTraits t)
    {
        if (t.UnmapMayBisect) { w.WriteBoolean("bisect", true); }
        if (!t.SupportsUnmapAll) { w.WriteBoolean("unmap-all", false); }
        if (t.EntryLimit != DmaBackendTraits.DefaultEntryLimit) { w.WriteNumber("entry-limit", t.EntryLimit); }
    }

    /// <summary>Reads libvirt's memlock rule (<c>rule</c>, <c>guest-ram</c>, <c>vfio-devices</c>, <c>viommu</c>).</summary>
    public static MemlockRule ReadMemlockRule(JsonElement element, string path)
    {
        var w = new JsonWalker(element, path);
        string rule = w.String("rule");
        if (!MemlockRule.Rules.Contains(rule))
        {
            throw new ScenarioFormatException(JsonWalker.Child(path, "rule"), $"expected one of {string.Join(", ", MemlockRule.Rules)}, got \"{rule}\"");
        }

        var result = new MemlockRule(rule, w.Address("guest-ram"), w.OptionalInt("vfio-devices", 0, 4096) ?? 1, w.OptionalBool("viommu") ?? false);
        w.Done();
        return result;
    }

    /// <summary>Writes libvirt's memlock rule as an object.</summary>
    public static void WriteMemlockRule(Utf8JsonWriter w, MemlockRule rule)
    {
        w.WriteStartObject();
        w.WriteString("rule", rule.Rule);
        Number(w, "guest-ram", rule.GuestRam);
        w.WriteNumber("vfio-devices", rule.VfioDevices);
        w.WriteBoolean("viommu", rule.Viommu);
        w.WriteEndObject();
    }

    /// <summary>Reads an array of strings.</summary>
    public static ImmutableArray<string> StringArray(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected(path, "an array of strings", element);
        }

        int i = 0;
        return [.. element.EnumerateArray().Select(s => JsonWalker.AsString(s, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]")))];
    }

    /// <summary>Reads an object whose fields are names (containers, tables, processes), each value read by
    /// <paramref name="read"/>.</summary>
    public static ImmutableSortedDictionary<string, T> PerName<T>(JsonElement element, string path, Func<JsonElement, string, T> read)
    {
        var w = new JsonWalker(element, path);
        var result = ImmutableSortedDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
        foreach (var name in w.Names.ToList())
        {
            result[name] = read(w.Required(name), JsonWalker.Child(path, name));
        }

        w.Done();
        return result.ToImmutable();
    }

    /// <summary>Writes an object of per-name values, or nothing when there are none.</summary>
    public static void PerName<T>(Utf8JsonWriter w, string field, IReadOnlyDictionary<string, T> values, Action<string, T> write)
    {
        if (values.Count == 0)
        {
            return;
        }

        w.WriteStartObject(field);
        foreach (var (name, value) in values)
        {
            write(name, value);
        }

        w.WriteEndObject();
    }
}
