using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Verify.Harness.Core;
using Verify.Harness.Running;

namespace Verify.Cli;

/// <summary>One property's line in a <c>verify check</c> run: its outcome (null when the time budget left it out), how
/// long it ran, and the scenario file its shrunk failure was saved to.</summary>
/// <param name="Property">The property.</param>
/// <param name="Outcome">What FsCheck found, or null when it was not run.</param>
/// <param name="Seconds">Wall-clock seconds it ran.</param>
/// <param name="Saved">The saved scenario file, when one was saved.</param>
internal sealed record CheckLine(PropertyDefinition Property, PropertyOutcome? Outcome, double Seconds, string? Saved)
{
    /// <summary><c>passed</c>, <c>failed</c>, <c>exhausted</c>, <c>not finished</c> (the time budget ran out while it
    /// ran: the cases that ran held) or <c>not run</c>.</summary>
    public string Result => Outcome switch
    {
        null => "not run",
        { Passed: true } => "passed",
        { Stopped: true } => "not finished",
        { Exhausted: true } => "exhausted",
        _ => "failed",
    };

    /// <summary>Whether this line fails the run: a failed or exhausted property.</summary>
    public bool Failed => Outcome is { Passed: false, Stopped: false };

    /// <summary>Whether the time budget cut this property short or left it out.</summary>
    public bool CutShort => Outcome is null or { Stopped: true };
}

/// <summary>
/// What a <c>verify check</c> run found, in the forms CI reads: one JSON document (<c>--json</c>) and JUnit XML
/// (<c>--junit FILE</c>: one testcase per property, the failure report with its shrunk case and replay line as the
/// failure's text), so GitHub, GitLab and Jenkins show it natively.
/// </summary>
/// <param name="Lines">Every selected property, in run order.</param>
/// <param name="Budget">The budget the run used (its seed included).</param>
internal sealed record CheckReport(IReadOnlyList<CheckLine> Lines, PropertyBudget Budget)
{
    /// <summary>The user's implementation the run judged (<c>exec:COMMAND</c>), or null for the library's models.</summary>
    public string? Implementation { get; init; }

    /// <summary>The properties that failed or exhausted.</summary>
    public int Failures => Lines.Count(l => l.Failed);

    /// <summary>The properties the time budget left out.</summary>
    public int NotRun => Lines.Count(l => l.Outcome is null);

    /// <summary>The properties the time budget stopped while they ran.</summary>
    public int NotFinished => Lines.Count(l => l.Outcome is { Stopped: true });

    /// <summary>The full failure report of a line, as the table's text prints it.</summary>
    /// <param name="line">A failed line.</param>
    /// <returns>The report.</returns>
    public static string Describe(CheckLine line) => PropertyFailedException.Describe(line.Outcome!, line.Saved);

    /// <summary>The run as one JSON document.</summary>
    /// <returns>The document.</returns>
    public JsonObject ToJson() => new()
    {
        ["seed"] = Budget.StartSeed is { } seed ? JsonValue.Create(seed.ToString(CultureInfo.InvariantCulture)) : null,
        ["replay"] = Budget.Replay?.ToString(),
        ["maxTest"] = Budget.MaxTest,
        ["endSize"] = Budget.EndSize,
        ["passed"] = Lines.Count - Failures - NotRun - NotFinished,
        ["failed"] = Failures,
        ["notFinished"] = NotFinished,
        ["notRun"] = NotRun,
        ["implementation"] = Implementation,
        ["properties"] = new JsonArray([.. Lines.Select(l => new JsonObject
        {
            ["id"] = l.Property.Id,
            ["name"] = l.Property.TestName,
            ["suite"] = l.Property.Suite,
            ["result"] = l.Result,
            ["cases"] = l.Outcome?.Tests ?? 0,
            ["seconds"] = Math.Round(l.Seconds, 3),
            ["replaySeed"] = l.Outcome?.Replay?.ToString(),
            ["replay"] = l.Outcome?.ReplayCommand,
            ["saved"] = l.Saved,
            ["report"] = l.Failed ? Describe(l) : null,
        })]),
    };

    /// <summary>The run as JUnit XML: a testsuite per property suite, a testcase per property.</summary>
    /// <returns>The document.</returns>
    public XDocument ToJunit()
    {
        var c = CultureInfo.InvariantCulture;
        var suites = Lines.GroupBy(l => l.Property.Suite).Select(g => new XElement("testsuite",
            new XAttribute("name", g.Key),
            new XAttribute("tests", g.Count()),
            new XAttribute("failures", g.Count(l => l.Failed)),
            new XAttribute("skipped", g.Count(l => l.CutShort)),
            new XAttribute("time", g.Sum(l => l.Seconds).ToString("0.000", c)),
            // The schema (docs/junit/junit.xsd) keeps properties per suite: each carries the run's seed.
            new XElement("properties",
                new XElement("property", new XAttribute("name", "seed"), new XAttribute("value", Budget.StartSeed?.ToString(c) ?? "")),
                new XElement("property", new XAttribute("name", "replay"), new XAttribute("value", Budget.Replay?.ToString() ?? "")),
                new XElement("property", new XAttribute("name", "maxTest"), new XAttribute("value", Budget.MaxTest))),
            g.Select(l => new XElement("testcase",
                new XAttribute("classname", $"verify.{l.Property.Suite}"),
                new XAttribute("name", $"{l.Property.Id} {l.Property.TestName}"),
                new XAttribute("time", l.Seconds.ToString("0.000", c)),
                l.Outcome switch
                {
                    null => new XElement("skipped", new XAttribute("message", "not run: the time budget ran out")),
                    { Stopped: true } o => new XElement("skipped", new XAttribute("message", $"not finished: the time budget ran out after {o.Tests} cases, which held")),
                    { Passed: false } o => new XElement("failure",
                        new XAttribute("message", o.Exhausted ? "exhausted: too many cases discarded" : FirstLine(o.FailureMessage ?? o.Report)),
                        new XAttribute("type", o.Exhausted ? "exhausted" : "property failed"),
                        Describe(l)),
                    _ => null,
                }))));
        return new XDocument(new XElement("testsuites",
            new XAttribute("name", "verify check"),
            new XAttribute("tests", Lines.Count),
            new XAttribute("failures", Failures),
            new XAttribute("skipped", NotRun + NotFinished),
            new XAttribute("time", Lines.Sum(l => l.Seconds).ToString("0.000", c)),
            suites));
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
