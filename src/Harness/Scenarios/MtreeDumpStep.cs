using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Text;

namespace Verify.Harness.Scenarios;

/// <summary>An <c>info mtree -f</c> dump given as data (its sections, address spaces, ranges and trailing words), for
/// the text round trip of FV-05: the checks write it as QEMU prints it and read it back.</summary>
/// <param name="Dump">The dump.</param>
public sealed record MtreeDumpStep(MtreeFlatDump Dump) : ScenarioStep
{
    /// <summary>The <c>mtree-dump</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<MtreeDumpStep>("mtree-dump", ["sections", "start"], Read, Write);

    private static readonly IReadOnlyDictionary<string, MtreeFlatStart> Starts = new Dictionary<string, MtreeFlatStart>(StringComparer.Ordinal)
    {
        ["header"] = MtreeFlatStart.Header,
        ["root-line"] = MtreeFlatStart.RootLine,
        ["ranges"] = MtreeFlatStart.Ranges,
    };


    internal override void Run(ScenarioMachine machine)
    {
        machine.Dumped(Dump);
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"{Dump.Sections.Length} section(s), {Dump.Sections.Sum(s => s.View.Count)} range(s)"));
    }

    private static MtreeDumpStep Read(JsonWalker b)
    {
        var sections = ScenarioJson.ReadList(b, "sections", "an array of sections", s =>
        {
            var spaces = ScenarioJson.ReadList(s, "address-spaces", "an array of { name, root, alias }",
                a => new MtreeAddressSpace(a.String("name"), a.String("root"), a.OptionalString("alias")));
            int? number = s.OptionalInt("number", 0, int.MaxValue);
            string root = s.String("root");
            var ranges = ScenarioJson.ReadFlatRanges(s, "ranges");
            FlatView view;
            try
            {
                view = FlatView.Create(ranges);
            }
            catch (ArgumentException error)
            {
                throw new ScenarioFormatException(JsonWalker.Child(s.Path, "ranges"), error.Message);
            }

            var words = s.Optional("annotations") is { } element
                ? ReadAnnotations(element, JsonWalker.Child(s.Path, "annotations"), view.Count)
                : [.. Enumerable.Repeat(ImmutableArray<string>.Empty, view.Count)];
            try
            {
                return (Number: number, Section: new MtreeFlatSection(spaces, root, view, words));
            }
            catch (ArgumentException error)
            {
                throw new ScenarioFormatException(s.Path, error.Message);
            }
        });

        // A section without a number follows the one before it (the first is #0), as QEMU numbers them.
        var numbers = new List<int>();
        foreach (var (number, _) in sections)
        {
            numbers.Add(number ?? (numbers.Count == 0 ? 0 : numbers[^1] + 1));
        }

        try
        {
            var start = b.Has("start") ? b.Choice("start", Starts) : MtreeFlatStart.Header;
            return new MtreeDumpStep(new MtreeFlatDump(sections.Select(s => s.Section), numbers, start));
        }
        catch (ArgumentException error)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "sections"), error.Message);
        }
    }

    private static ImmutableArray<ImmutableArray<string>> ReadAnnotations(JsonElement element, string path, int ranges)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != ranges)
        {
            throw new ScenarioFormatException(path, string.Create(CultureInfo.InvariantCulture, $"expected an array of {ranges} arrays of words, one per range"));
        }

        int i = 0;
        return [.. element.EnumerateArray().Select(words => ScenarioJson.StringArray(words, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]")))];
    }

    private static void Write(MtreeDumpStep step, Utf8JsonWriter w)
    {
        if (step.Dump.Start != MtreeFlatStart.Header)
        {
            w.WriteString("start", Starts.First(s => s.Value == step.Dump.Start).Key);
        }

        bool numbered = !step.Dump.Numbers.SequenceEqual(Enumerable.Range(0, step.Dump.Numbers.Length));
        int index = 0;
        ScenarioJson.Objects(w, "sections", step.Dump.Sections, s =>
        {
            if (numbered)
            {
                w.WriteNumber("number", step.Dump.Numbers[index]);
            }

            index++;
            ScenarioJson.Objects(w, "address-spaces", s.AddressSpaces, a =>
            {
                w.WriteString("name", a.Name);
                w.WriteString("root", a.Root);
                ScenarioJson.Optional(w, "alias", a.RootAlias);
            });
            w.WriteString("root", s.RootRegion);
            ScenarioJson.WriteFlatRanges(w, "ranges", s.View.Ranges);
            if (s.Annotations.Any(a => !a.IsEmpty))
            {
                w.WriteStartArray("annotations");
                foreach (var words in s.Annotations)
                {
                    w.WriteStartArray();
                    foreach (var word in words)
                    {
                        w.WriteStringValue(word);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndArray();
            }
        });
    }

    /// <inheritdoc/>
    public bool Equals(MtreeDumpStep? other) => other is not null && Dump.Equals(other.Dump) && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => Dump.GetHashCode();

    /// <inheritdoc/>
    public override string ToString() =>
        "mtree-dump " + string.Join("; ", Dump.Sections.Select(s => s.View.Count is > 0 and <= 3
            ? $"{s.RootRegion}: {string.Join(", ", s.View.Ranges)}"
            : string.Create(CultureInfo.InvariantCulture, $"{s.RootRegion}: {s.View.Count} range(s)")));
}
