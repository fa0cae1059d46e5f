using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Core;

namespace Verify.Harness.Scenarios;

/// <summary>The JSON form of a step's <c>expect</c> object.</summary>
public sealed partial record StepExpectations
{
    /// <summary>Every field an <c>expect</c> object may hold.</summary>
    public static ImmutableArray<string> Fields { get; } =
        ["ranges", "errno", "size", "translations", "ioctls", "collateral", "mappings", "leaves", "stale", "locked-vm", "pinned", "pfns", "kernel-bug", "external-pins", "memlock-limit", "refused"];

    internal static StepExpectations Read(JsonElement element, string path)
    {
        var e = new JsonWalker(element, path);
        var result = StepExpectations.None;
        if (e.Optional("ranges") is { } ranges)
        {
            result = result with { Ranges = ScenarioJson.StringArray(ranges, JsonWalker.Child(path, "ranges")) };
        }

        if (e.Has("errno"))
        {
            result = result with { Errno = e.Choice("errno", ScenarioVocabulary.Errnos) };
        }

        if (e.OptionalSize("size") is { } size)
        {
            result = result with { Size = size };
        }

        if (e.Optional("translations") is { } translations)
        {
            string tp = JsonWalker.Child(path, "translations");
            if (translations.ValueKind != JsonValueKind.Array)
            {
                throw JsonWalker.Expected(tp, "an array of translations", translations);
            }

            var list = ImmutableArray.CreateBuilder<TranslationExpectation>();
            int i = 0;
            foreach (var t in translations.EnumerateArray())
            {
                var w = new JsonWalker(t, string.Create(CultureInfo.InvariantCulture, $"{tp}[{i++}]"));
                var targets = new[] { "container", "table", "device" }.Where(w.Names.Contains).ToList();
                if (targets.Count > 1)
                {
                    throw new ScenarioFormatException(w.Path, "a translation names one 'container', 'table' or 'device', not several");
                }

                string field = targets.FirstOrDefault() ?? "container";
                list.Add(new TranslationExpectation(w.String(field), w.Address("iova"), w.NullableString("to")) { OfPageTable = field == "table", OfDevice = field == "device" });
                w.Done();
            }

            result = result with { Translations = list.ToImmutable() };
        }

        if (e.Optional("ioctls") is { } ioctls)
        {
            result = result with { Ioctls = ScenarioJson.PerName(ioctls, JsonWalker.Child(path, "ioctls"), (v, p) => JsonWalker.AsInt(v, p, 0, int.MaxValue)) };
        }

        if (e.Optional("collateral") is { } collateral)
        {
            result = result with { Collateral = ScenarioJson.PerName(collateral, JsonWalker.Child(path, "collateral"), JsonWalker.AsSize) };
        }

        if (e.Optional("mappings") is { } mappings)
        {
            result = result with { Mappings = ScenarioJson.PerName(mappings, JsonWalker.Child(path, "mappings"), ScenarioJson.StringArray) };
        }

        if (e.Optional("leaves") is { } leaves)
        {
            result = result with { Leaves = ScenarioJson.PerName(leaves, JsonWalker.Child(path, "leaves"), ScenarioJson.StringArray) };
        }

        if (e.Optional("stale") is { } stale)
        {
            result = result with { Stale = ScenarioJson.PerName(stale, JsonWalker.Child(path, "stale"), ScenarioJson.StringArray) };
        }

        if (e.Optional("locked-vm") is { } lockedVm)
        {
            result = result with { LockedVm = ScenarioJson.PerName(lockedVm, JsonWalker.Child(path, "locked-vm"), JsonWalker.AsSize) };
        }

        if (e.Optional("pinned") is { } pinned)
        {
            result = result with { Pinned = ScenarioJson.PerName(pinned, JsonWalker.Child(path, "pinned"), (v, p) => JsonWalker.AsInt(v, p, 0, int.MaxValue)) };
        }

        if (e.Optional("pfns") is { } pfns)
        {
            string pp = JsonWalker.Child(path, "pfns");
            if (pfns.ValueKind != JsonValueKind.Array)
            {
                throw JsonWalker.Expected(pp, "an array of host physical addresses", pfns);
            }

            int i = 0;
            result = result with { Pfns = [.. pfns.EnumerateArray().Select(a => JsonWalker.AsAddress(a, string.Create(CultureInfo.InvariantCulture, $"{pp}[{i++}]")))] };
        }

        if (e.OptionalBool("kernel-bug") is { } bug)
        {
            result = result with { KernelBug = bug };
        }

        if (e.Optional("external-pins") is { } external)
        {
            result = result with { ExternalPins = ScenarioJson.PerName(external, JsonWalker.Child(path, "external-pins"), ScenarioJson.StringArray) };
        }

        if (e.Has("refused"))
        {
            result = result with { Refused = e.Choice("refused", ScenarioVocabulary.Refusals) };
        }

        if (e.Optional("memlock-limit") is { } memlock)
        {
            result = result with { MemlockLimit = ScenarioJson.PerName(memlock, JsonWalker.Child(path, "memlock-limit"), ScenarioJson.ReadMemlockRule) };
        }

        e.Done();
        return result;
    }

    internal static void Write(Utf8JsonWriter w, StepExpectations e)
    {
        w.WriteStartObject("expect");
        if (e.Ranges is { } ranges)
        {
            ScenarioJson.Strings(w, "ranges", ranges);
        }

        if (e.Errno is { } errno) { w.WriteString("errno", errno == Verify.MemoryMap.Errno.None ? "none" : errno.ToString()); }
        if (e.Size is { } size) { ScenarioJson.Number(w, "size", size); }
        if (!e.Translations.IsEmpty)
        {
            w.WriteStartArray("translations");
            foreach (var t in e.Translations)
            {
                w.WriteStartObject();
                w.WriteString(t.OfPageTable ? "table" : t.OfDevice ? "device" : "container", t.Target);
                ScenarioJson.Number(w, "iova", t.Iova);
                if (t.To is null) { w.WriteNull("to"); } else { w.WriteString("to", t.To); }
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (!e.Ioctls.IsEmpty)
        {
            w.WriteStartObject("ioctls");
            foreach (var (name, count) in e.Ioctls) { w.WriteNumber(name, count); }
            w.WriteEndObject();
        }

        if (!e.Collateral.IsEmpty)
        {
            w.WriteStartObject("collateral");
            foreach (var (name, bytes) in e.Collateral) { ScenarioJson.Number(w, name, bytes); }
            w.WriteEndObject();
        }

        if (!e.Mappings.IsEmpty)
        {
            w.WriteStartObject("mappings");
            foreach (var (name, list) in e.Mappings) { ScenarioJson.Strings(w, name, list); }
            w.WriteEndObject();
        }

        ScenarioJson.PerName(w, "leaves", e.Leaves, (name, list) => ScenarioJson.Strings(w, name, list));
        ScenarioJson.PerName(w, "stale", e.Stale, (name, list) => ScenarioJson.Strings(w, name, list));
        ScenarioJson.PerName(w, "locked-vm", e.LockedVm, (name, bytes) => ScenarioJson.Number(w, name, bytes));
        ScenarioJson.PerName(w, "pinned", e.Pinned, (name, pages) => w.WriteNumber(name, pages));
        if (e.Pfns is { } pfns) { ScenarioJson.Strings(w, "pfns", pfns.Select(p => ScenarioNumbers.Format(p))); }
        if (e.KernelBug is { } bug) { w.WriteBoolean("kernel-bug", bug); }
        ScenarioJson.PerName(w, "external-pins", e.ExternalPins, (name, list) => ScenarioJson.Strings(w, name, list));
        ScenarioJson.PerName(w, "memlock-limit", e.MemlockLimit, (name, rule) =>
        {
            w.WritePropertyName(name);
            ScenarioJson.WriteMemlockRule(w, rule);
        });
        if (e.Refused is { } refused) { w.WriteString("refused", ScenarioVocabulary.NameOf(ScenarioVocabulary.Refusals, refused)); }

        w.WriteEndObject();
    }

}
