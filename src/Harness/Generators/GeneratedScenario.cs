using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Generators;

/// <summary>
/// A generated test case as the runner takes it: the scenario steps (what the models are asked, never what they
/// answered) and the structured case they came from, which is what shrinks. Prints as the numbered steps, so a
/// counterexample reads as a script.
/// </summary>
public sealed class GeneratedScenario
{
    private readonly Func<IEnumerable<GeneratedScenario>> _shrinks;

    internal GeneratedScenario(object source, ImmutableArray<ScenarioStep> steps, CaseSize size, Func<IEnumerable<GeneratedScenario>> shrinks)
    {
        Source = source;
        Steps = steps;
        Size = size;
        _shrinks = shrinks;
    }

    /// <summary>The case of no steps, which a stopped run generates in place of real ones (it is never judged).</summary>
    internal static GeneratedScenario Empty { get; } = new("nothing", [], new CaseSize(0, "steps"), () => []);

    /// <summary>The structured case (a tree and its transactions, a page-table script, ...).</summary>
    public object Source { get; }

    /// <summary>The steps.</summary>
    public ImmutableArray<ScenarioStep> Steps { get; }

    /// <summary>How big the case is, in the units a reader counts.</summary>
    public CaseSize Size { get; }

    /// <summary>Smaller cases, from shrinking <see cref="Source"/>.</summary>
    /// <returns>The candidates.</returns>
    public IEnumerable<GeneratedScenario> Shrink() => _shrinks();

    /// <summary>The same case with every step (its shrinks' included) rewritten, as an implementation that claims
    /// fixed rules needs (a user's page table gets its own options in every generated table).</summary>
    /// <param name="rewrite">Rewrites one step.</param>
    /// <returns>The rewritten case.</returns>
    internal GeneratedScenario MapSteps(Func<ScenarioStep, ScenarioStep> rewrite) =>
        new(Source, [.. Steps.Select(rewrite)], Size, () => _shrinks().Select(s => s.MapSteps(rewrite)));

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{Size}; {Steps.Length} steps:");
        for (int i = 0; i < Steps.Length; i++)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"[{i}] {Steps[i]}");
            if (Steps[i].Note is { } note)
            {
                text.Append("   # ").Append(note);
            }
        }

        return text.ToString();
    }
}
