using Verify.Harness.Core;
using Verify.Harness.Hosts;
using Verify.Harness.Scenarios;

namespace Verify.Harness.Checks;

/// <summary>What a check sees of one step: the step, the machine after (or before) it, and where its findings go.</summary>
public sealed class CheckContext
{
    // Each check keeps its first few messages of a step, so one loud check cannot hide what another found.
    private const int MessagesPerCheck = 3;
    private readonly Verdict _verdict;
    private readonly ISet<string> _labels;
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

    internal CheckContext(ScenarioMachine machine, ScenarioStep step, int index, Verdict verdict, ISet<string> labels)
    {
        Machine = machine;
        Step = step;
        Index = index;
        _verdict = verdict;
        _labels = labels;
    }

    /// <summary>The scenario's hosts.</summary>
    public ScenarioMachine Machine { get; }

    /// <summary>The step.</summary>
    public ScenarioStep Step { get; }

    /// <summary>The step's index in the scenario.</summary>
    public int Index { get; }

    /// <summary>The check being run (its id prefixes every failure).</summary>
    internal ScenarioCheck? Current { get; set; }

    /// <summary>Records a failure when <paramref name="condition"/> is false.</summary>
    /// <param name="condition">What must hold.</param>
    /// <param name="message">Says what broke, naming the address, range or container; built only on failure.</param>
    /// <returns>The condition.</returns>
    public bool Expect(bool condition, Func<string> message)
    {
        if (condition)
        {
            return true;
        }

        ArgumentNullException.ThrowIfNull(message);
        string id = Current?.Id ?? "check";
        int seen = _failures[id] = _failures.GetValueOrDefault(id) + 1;
        if (seen <= MessagesPerCheck)
        {
            _verdict.Expect(false, () => $"[{id}] {message()}");
        }

        return false;
    }

    /// <summary>Records, once per check, how many of its failures of the step were not spelled out.</summary>
    internal void Summarize()
    {
        foreach (var (id, count) in _failures.Where(f => f.Value > MessagesPerCheck))
        {
            _verdict.Expect(false, () => $"[{id}] ... and {count - MessagesPerCheck} more");
        }
    }

    /// <summary>Records a classification label of the run (what kind of case it was).</summary>
    /// <param name="label">The label; empty labels are ignored.</param>
    public void Label(string label)
    {
        if (!string.IsNullOrEmpty(label))
        {
            _labels.Add(label);
        }
    }

    /// <summary>Records <paramref name="label"/> when <paramref name="condition"/> holds.</summary>
    /// <param name="condition">Whether the case is of the kind.</param>
    /// <param name="label">The label.</param>
    public void Label(bool condition, string label)
    {
        if (condition)
        {
            Label(label);
        }
    }
}
