using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Core;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Reads the scenario format strictly (docs/scenario-format.md): an unknown step kind or field, a missing field,
/// a value of the wrong form or a number that does not fit is one <see cref="ScenarioFormatException"/> naming
/// the JSON path and what was expected. Nothing is returned from a file that does not read cleanly. Each step's body
/// is read by its kind's codec (<see cref="StepKinds"/>).
/// </summary>
public static class ScenarioReader
{
    /// <summary>Every step kind version 1 knows, in the order the format documents them.</summary>
    public static ImmutableArray<string> StepKindNames => StepKinds.Names;

    /// <summary>Reads a scenario file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ScenarioFormatException">The file does not read cleanly.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Scenario ReadFile(string path) => Read(File.ReadAllText(path));

    /// <summary>How deep the JSON of a scenario may nest (a real one nests five levels): deeper text is refused as that,
    /// not as invalid JSON.</summary>
    public const int MaxNesting = 256;

    /// <summary>Reads scenario text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ScenarioFormatException">The text does not read cleanly.</exception>
    public static Scenario Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = MaxNesting });
        }
        catch (JsonException error)
        {
            // The reader's message would echo the offending bytes (escape sequences of a binary file); say where instead.
            string where = string.Create(CultureInfo.InvariantCulture, $"line {(error.LineNumber ?? 0) + 1}, byte {(error.BytePositionInLine ?? 0) + 1}");
            throw new ScenarioFormatException(error.Path is { Length: > 0 } p ? p : "$",
                error.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                    ? string.Create(CultureInfo.InvariantCulture, $"JSON nested deeper than {MaxNesting} levels at {where}; a scenario nests a few levels")
                    : $"not valid JSON at {where}");
        }

        using (document)
        {
            return ReadRoot(document.RootElement);
        }
    }

    private static Scenario ReadRoot(JsonElement root)
    {
        var top = new JsonWalker(root, "$");
        string format = top.String("format");
        if (format != Scenario.FormatName)
        {
            throw new ScenarioFormatException("$.format", $"expected \"{Scenario.FormatName}\", got \"{format}\"");
        }

        int version = top.Int("version", 1, int.MaxValue);
        if (version != Scenario.CurrentVersion)
        {
            throw new ScenarioFormatException("$.version", string.Create(CultureInfo.InvariantCulture,
                $"expected {Scenario.CurrentVersion}, got {version}: this version of verify reads only version {Scenario.CurrentVersion}"));
        }

        var header = new ScenarioHeader(top.OptionalString("title"), top.OptionalString("suite"), top.OptionalString("property"), top.OptionalString("replay"))
        {
            Implementation = top.OptionalString("implementation"),
        };
        if (header.Replay is { } replay)
        {
            try
            {
                _ = Core.ReplaySeed.Parse(replay);
            }
            catch (FormatException)
            {
                throw new ScenarioFormatException("$.replay", $"expected a replay seed \"seed,gamma,size\", got \"{replay}\"");
            }
        }

        var stepsElement = top.Required("steps");
        top.Done();
        if (stepsElement.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected("$.steps", "an array of steps", stepsElement);
        }

        var steps = ImmutableArray.CreateBuilder<ScenarioStep>();
        int i = 0;
        foreach (var element in stepsElement.EnumerateArray())
        {
            steps.Add(ReadStep(element, string.Create(CultureInfo.InvariantCulture, $"$.steps[{i++}]")));
        }

        return new Scenario(version, header, steps.ToImmutable());
    }

    private static ScenarioStep ReadStep(JsonElement element, string path)
    {
        var walker = new JsonWalker(element, path);
        var kinds = walker.Names.Where(n => n is not ("expect" or "note")).ToList();
        if (kinds.Count != 1 || !StepKinds.TryGet(kinds[0], out var codec))
        {
            string known = string.Join(", ", StepKinds.Names);
            string found = kinds.Count == 0 ? "none" : string.Join(", ", kinds.Select(k => $"'{k}'"));
            string problem = kinds.Count == 1
                ? $"unknown step kind '{kinds[0]}'; expected one of {known}"
                : $"a step holds exactly one operation (one of {known}) besides 'expect' and 'note'; found {found}";
            throw new ScenarioFormatException(kinds.Count == 1 ? JsonWalker.Child(path, kinds[0]) : path, problem);
        }

        string at = JsonWalker.Child(path, codec.Kind);
        var body = new JsonWalker(walker.Required(codec.Kind), at);
        var step = codec.Read(body);
        body.Done();
        var expect = walker.Optional("expect") is { } e ? StepExpectations.Read(e, JsonWalker.Child(path, "expect")) : StepExpectations.None;
        string? note = walker.OptionalString("note");
        walker.Done();
        return step with { Expect = expect, Note = note };
    }
}
