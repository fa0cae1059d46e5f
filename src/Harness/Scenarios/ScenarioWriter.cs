using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Writes the scenario format: two-space indented, fields in a fixed order, defaults left out, every 64-bit
/// value as a hex string, a final newline. The same scenario always gives the same bytes, so a saved case diffs
/// cleanly and its hash (<c>RegressionStore</c>) names its content. Each step's body is written by its kind's
/// codec (<see cref="StepKinds"/>).
/// </summary>
public static class ScenarioWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The scenario as JSON text.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>The text, ending with a newline.</returns>
    public static string Write(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return Emit(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", Scenario.FormatName);
            w.WriteNumber("version", scenario.Version);
            var h = scenario.Header;
            ScenarioJson.Optional(w, "title", h.Title);
            ScenarioJson.Optional(w, "suite", h.Suite);
            ScenarioJson.Optional(w, "property", h.Property);
            ScenarioJson.Optional(w, "replay", h.Replay);
            ScenarioJson.Optional(w, "implementation", h.Implementation);
            WriteStepArray(w, scenario);
            w.WriteEndObject();
        });
    }

    /// <summary>The steps alone, the same way: what <c>RegressionStore</c> hashes, so one failure found from
    /// two seeds is one file.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>The text.</returns>
    public static string WriteSteps(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return Emit(w =>
        {
            w.WriteStartObject();
            WriteStepArray(w, scenario);
            w.WriteEndObject();
        });
    }

    private static string Emit(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            body(w);
        }

        // Utf8JsonWriter indents with the platform's newline; a committed file has \n on every system.
        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    private static void WriteStepArray(Utf8JsonWriter w, Scenario scenario)
    {
        w.WriteStartArray("steps");
        foreach (var step in scenario.Steps)
        {
            var codec = StepKinds.For(step);
            w.WriteStartObject();
            w.WriteStartObject(codec.Kind);
            codec.Write(step, w);
            w.WriteEndObject();
            if (!step.Expect.IsEmpty)
            {
                StepExpectations.Write(w, step.Expect);
            }

            ScenarioJson.Optional(w, "note", step.Note);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
