using System.Globalization;
using System.Text.Json;
using Verify.Harness.Core;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>
/// One JSON object read strictly: every field it asks for is consumed, and <see cref="Done"/> refuses any field
/// nobody asked for, a duplicated field, or a value of the wrong form, each time naming the JSON path.
/// </summary>
internal sealed class JsonWalker
{
    private const ulong MaxExactJsonInteger = 1UL << 53;
    private readonly Dictionary<string, JsonElement> _fields = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);
    private readonly List<string> _known = [];

    public JsonWalker(JsonElement element, string path)
    {
        Path = path;
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Expected(path, "an object", element);
        }

        foreach (var p in element.EnumerateObject())
        {
            if (!_fields.TryAdd(p.Name, p.Value))
            {
                throw new ScenarioFormatException(Child(path, p.Name), "the field appears twice");
            }
        }
    }

    public string Path { get; }

    public IEnumerable<string> Names => _fields.Keys;

    public static string Child(string path, string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? $"{path}.{name}" : $"{path}['{name}']";

    public static ScenarioFormatException Expected(string path, string what, JsonElement got) =>
        new(path, $"expected {what}, got {Show(got)}");

    public bool Has(string name)
    {
        Know(name);
        return _fields.ContainsKey(name);
    }

    public JsonElement Required(string name)
    {
        Know(name);
        if (!_fields.TryGetValue(name, out var value))
        {
            throw new ScenarioFormatException(Child(Path, name), "missing required field");
        }

        _consumed.Add(name);
        return value;
    }

    public JsonElement? Optional(string name)
    {
        Know(name);
        if (!_fields.TryGetValue(name, out var value))
        {
            return null;
        }

        _consumed.Add(name);
        return value;
    }

    // A required string names something (a region, container, device): it must be non-empty and printable, or it
    // would print as nothing, or as a terminal escape, in every report that names it.
    public string String(string name) => AsName(Required(name), Child(Path, name));

    public string? OptionalString(string name) => Optional(name) is { } e ? AsText(e, Child(Path, name)) : null;

    public string? NullableString(string name)
    {
        var e = Required(name);
        return e.ValueKind == JsonValueKind.Null ? null : AsString(e, Child(Path, name));
    }

    public bool? OptionalBool(string name) => Optional(name) is { } e ? AsBool(e, Child(Path, name)) : null;

    public bool Bool(string name) => AsBool(Required(name), Child(Path, name));

    public int? OptionalInt(string name, int min, int max) => Optional(name) is { } e ? AsInt(e, Child(Path, name), min, max) : null;

    public int Int(string name, int min, int max) => AsInt(Required(name), Child(Path, name), min, max);

    public ulong Address(string name) => AsAddress(Required(name), Child(Path, name));

    public ulong? OptionalAddress(string name) => Optional(name) is { } e ? AsAddress(e, Child(Path, name)) : null;

    public UInt128 Size(string name) => AsSize(Required(name), Child(Path, name));

    public UInt128? OptionalSize(string name) => Optional(name) is { } e ? AsSize(e, Child(Path, name)) : null;

    public T Choice<T>(string name, IReadOnlyDictionary<string, T> choices)
    {
        string path = Child(Path, name);
        string text = AsString(Required(name), path);
        return choices.TryGetValue(text, out var value)
            ? value
            : throw new ScenarioFormatException(path, $"expected one of {string.Join(", ", choices.Keys.Select(k => $"\"{k}\""))}, got \"{text}\"");
    }

    /// <summary>Refuses every field that was not asked for.</summary>
    public void Done()
    {
        foreach (var name in _fields.Keys)
        {
            if (!_consumed.Contains(name))
            {
                throw new ScenarioFormatException(Child(Path, name),
                    $"unknown field '{name}'; expected {(_known.Count == 0 ? "no fields" : "one of " + string.Join(", ", _known))}");
            }
        }
    }

    public static string AsString(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Expected(path, "a string", e);

    /// <summary>A name: a non-empty string without control characters.</summary>
    public static string AsName(JsonElement e, string path)
    {
        string text = AsString(e, path);
        if (text.Length == 0)
        {
            throw new ScenarioFormatException(path, "expected a name, got an empty string");
        }

        return Printable(text, path, allowLineBreaks: false);
    }

    /// <summary>Free text (a title, a note): a string without control characters but line breaks and tabs.</summary>
    public static string AsText(JsonElement e, string path) => Printable(AsString(e, path), path, allowLineBreaks: true);

    private static string Printable(string text, string path, bool allowLineBreaks)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsControl(c) && !(allowLineBreaks && c is '\n' or '\t' or '\r'))
            {
                throw new ScenarioFormatException(path, string.Create(CultureInfo.InvariantCulture,
                    $"expected printable text, got a control character (U+{(int)c:X4}) at character {i + 1}"));
            }
        }

        return text;
    }

    public static bool AsBool(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Expected(path, "true or false", e),
    };

    public static int AsInt(JsonElement e, string path, int min, int max) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= min && v <= max
            ? v
            : throw Expected(path, string.Create(CultureInfo.InvariantCulture, $"a whole number in [{min}, {max}]"), e);

    /// <summary>A 64-bit address or offset: a string, or a JSON integer no larger than 2^53 (above it a JSON number
    /// has already lost precision in most readers, so it is refused rather than trusted).</summary>
    public static ulong AsAddress(JsonElement e, string path)
    {
        const string What = "a 64-bit number as a hex or decimal string";
        if (e.ValueKind == JsonValueKind.String)
        {
            return ScenarioNumbers.TryParse(e.GetString()!, out UInt128 v) && v < AddressSpace.End
                ? (ulong)v
                : throw Expected(path, What, e);
        }

        return (ulong)ExactInteger(e, path, What);
    }

    /// <summary>An end or size: like <see cref="AsAddress"/> but 2^64 is allowed.</summary>
    public static UInt128 AsSize(JsonElement e, string path)
    {
        const string What = "a size as a hex or decimal string (up to 2^64; 4K, 2M, 1G accepted)";
        if (e.ValueKind == JsonValueKind.String)
        {
            return ScenarioNumbers.TryParse(e.GetString()!, out UInt128 v) ? v : throw Expected(path, What, e);
        }

        return ExactInteger(e, path, What);
    }

    private static ulong ExactInteger(JsonElement e, string path, string what)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out ulong n))
        {
            return n <= MaxExactJsonInteger
                ? n
                : throw new ScenarioFormatException(path, $"expected {what}, got the JSON number {e.GetRawText()}, which is above 2^53 and loses precision; write it as a string");
        }

        throw Expected(path, what, e);
    }

    private static string Show(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => e.GetRawText().Length > 60 ? e.GetRawText()[..60] + "..." : e.GetRawText(),
    };

    private void Know(string name)
    {
        if (!_known.Contains(name))
        {
            _known.Add(name);
        }
    }
}
