using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Execution;

/// <summary>What one step did and what it broke.</summary>
/// <param name="Index">Position in the scenario, from 0 (the <c>$.steps[i]</c> of the file).</param>
/// <param name="Step">The step as a script line.</param>
/// <param name="Result">What happened (the view's changes, an ioctl's result, ...); may span lines.</param>
/// <param name="BrokenExpectations">Expectations recorded in the file that did not hold.</param>
/// <param name="BrokenInvariants">Invariants the runner checks after every step that did not hold.</param>
/// <param name="Error">Why the step could not run at all (an undefined region, a tree that does not exist);
/// the steps after it are not run.</param>
public sealed record StepReport(
    int Index,
    string Step,
    string Result,
    ImmutableArray<string> BrokenExpectations,
    ImmutableArray<string> BrokenInvariants,
    string? Error = null)
{
    /// <summary>Whether the step ran and nothing broke.</summary>
    public bool Holds => Error is null && BrokenExpectations.IsEmpty && BrokenInvariants.IsEmpty;
}

/// <summary>The replay of a scenario: one entry per step that ran.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Steps">The steps that ran, in order.</param>
public sealed record ScenarioReport(Scenario Scenario, ImmutableArray<StepReport> Steps)
{
    /// <summary>The classification labels the checks gave the run (what kind of case it was).</summary>
    public ImmutableSortedSet<string> Labels { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>Whether every step ran and nothing broke.</summary>
    public bool Holds => Steps.Length == Scenario.Steps.Length && Steps.All(s => s.Holds);

    /// <summary>Steps not run because an earlier one could not run.</summary>
    public int NotRun => Scenario.Steps.Length - Steps.Length;

    /// <summary>The broken things of every step as one line each, <c>step 3 (commit): ...</c>.</summary>
    /// <returns>The lines; empty when the scenario holds.</returns>
    public IEnumerable<string> Problems()
    {
        foreach (var s in Steps)
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"step {s.Index} ({s.Step})");
            if (s.Error is { } error) { yield return $"{at}: cannot run: {error}"; }
            foreach (var e in s.BrokenExpectations) { yield return $"{at}: expectation broken: {e}"; }
            foreach (var i in s.BrokenInvariants) { yield return $"{at}: invariant broken: {i}"; }
        }

        if (NotRun > 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{NotRun} step(s) not run");
        }
    }

    /// <summary>The report for a person: every step, its result indented, then what broke, then a verdict line.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        if (Scenario.Header.Title is { } title)
        {
            text.AppendLine(title);
        }

        foreach (var s in Steps)
        {
            text.Append(CultureInfo.InvariantCulture, $"[{s.Index}] {s.Step}").AppendLine(s.Holds ? "" : "   <-- FAILS");
            foreach (var line in s.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                text.Append("      ").AppendLine(line);
            }

            if (s.Error is { } error) { text.Append("      cannot run: ").AppendLine(error); }
            foreach (var e in s.BrokenExpectations) { text.Append("      expectation broken: ").AppendLine(e.Replace("\n", "\n        ", StringComparison.Ordinal)); }
            foreach (var i in s.BrokenInvariants) { text.Append("      invariant broken: ").AppendLine(i.Replace("\n", "\n        ", StringComparison.Ordinal)); }
        }

        if (NotRun > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{NotRun} step(s) not run").AppendLine();
        }

        int failing = Steps.Count(s => !s.Holds);
        text.Append(Holds
            ? string.Create(CultureInfo.InvariantCulture, $"holds: {Steps.Length} steps, every expectation and invariant held")
            : string.Create(CultureInfo.InvariantCulture, $"FAILS: {failing} of {Steps.Length} steps broke something"));
        return text.AppendLine().ToString();
    }

    /// <summary>The report for a machine: <c>{"holds": bool, "steps": [{index, step, result, holds, error,
    /// brokenExpectations, brokenInvariants}], "notRun": n}</c>.</summary>
    /// <returns>Indented JSON.</returns>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteBoolean("holds", Holds);
            if (Scenario.Header.Title is { } title) { w.WriteString("title", title); }
            w.WriteStartArray("steps");
            foreach (var s in Steps)
            {
                w.WriteStartObject();
                w.WriteNumber("index", s.Index);
                w.WriteString("step", s.Step);
                w.WriteString("result", s.Result);
                w.WriteBoolean("holds", s.Holds);
                if (s.Error is { } error) { w.WriteString("error", error); }
                w.WriteStartArray("brokenExpectations");
                foreach (var e in s.BrokenExpectations) { w.WriteStringValue(e); }
                w.WriteEndArray();
                w.WriteStartArray("brokenInvariants");
                foreach (var i in s.BrokenInvariants) { w.WriteStringValue(i); }
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("notRun", NotRun);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }
}
