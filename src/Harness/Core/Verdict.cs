using FsCheck;
using FsCheck.Fluent;

namespace Verify.Harness.Core;

/// <summary>
/// What one generated case showed: the broken expectations (each a sentence naming the address, range or
/// step) and the classifications. Turned into an FsCheck property at the end of a property body, so every
/// failure is reported with all the reasons, not just the first assertion.
/// </summary>
public sealed class Verdict
{
    private const int MaxReported = 64;
    private List<string>? _failures;
    private List<(bool, string)>? _classes;
    private int _failureCount;

    /// <summary>Whether nothing has failed so far.</summary>
    public bool Holds => _failureCount == 0;

    /// <summary>The failure messages kept so far (the first few; <see cref="FailureCount"/> counts them all), so a
    /// scenario replay can list them per step.</summary>
    public IReadOnlyList<string> Failures => (IReadOnlyList<string>?)_failures ?? [];

    /// <summary>How many expectations have failed, including those whose message was not kept.</summary>
    public int FailureCount => _failureCount;

    /// <summary>Records a failure when <paramref name="condition"/> is false.</summary>
    /// <param name="condition">The expectation.</param>
    /// <param name="message">Builds the message (only called on failure).</param>
    /// <returns>The condition.</returns>
    public bool Expect(bool condition, Func<string> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!condition)
        {
            if (_failureCount++ < MaxReported)
            {
                (_failures ??= []).Add(message());
            }
        }

        return condition;
    }

    /// <summary>Records a classification label for this case.</summary>
    /// <param name="condition">Whether the case belongs to the class.</param>
    /// <param name="label">The label.</param>
    /// <returns>This verdict.</returns>
    public Verdict Classify(bool condition, string label)
    {
        (_classes ??= []).Add((condition, label));
        return this;
    }

    /// <summary>The property for this case: passes when nothing failed; the label lists the failures.</summary>
    /// <returns>An FsCheck property.</returns>
    public Property ToProperty()
    {
        string label = _failureCount == 0
            ? "holds"
            : string.Join(Environment.NewLine, Failures.Prepend($"{_failureCount} expectation(s) broken:"))
              + (_failureCount > MaxReported ? $"{Environment.NewLine}... and {_failureCount - MaxReported} more" : "");
        var property = Prop.Label(_failureCount == 0, label);
        foreach (var (condition, name) in _classes ?? [])
        {
            property = property.Classify(condition, name);
        }

        return property;
    }
}
