namespace Verify.Harness.Hosts;

/// <summary>The lines a step's result is written as, kept only when a report is wanted (a replay, a printed
/// failure); a generated case run for a property skips the text.</summary>
/// <param name="describing">Whether lines are kept.</param>
public sealed class StepLog(bool describing)
{
    private readonly List<string> _lines = [];

    /// <summary>Whether lines are kept; check it before building an expensive line.</summary>
    public bool Describing { get; } = describing;

    /// <summary>The lines of the current step.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Adds a line when describing.</summary>
    /// <param name="line">The line.</param>
    public void Say(string line)
    {
        if (Describing)
        {
            _lines.Add(line);
        }
    }

    /// <summary>Forgets the lines of the step before.</summary>
    public void Clear() => _lines.Clear();
}
