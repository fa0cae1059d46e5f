namespace Verify.Harness.Scenarios;

/// <summary>A scenario file that does not read cleanly: the JSON path of the offending value and what was
/// expected there. Nothing runs from such a file.</summary>
public sealed class ScenarioFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jsonPath">Where, as <c>$.steps[3].map.iova</c>.</param>
    /// <param name="problem">What was expected and what was found.</param>
    public ScenarioFormatException(string jsonPath, string problem)
        : base($"{jsonPath}: {problem}")
    {
        JsonPath = jsonPath;
        Problem = problem;
    }

    /// <summary>Creates the exception without a location (for serializers).</summary>
    public ScenarioFormatException()
        : this("$", "not a scenario")
    {
    }

    /// <summary>Creates the exception without a location.</summary>
    /// <param name="message">The message.</param>
    public ScenarioFormatException(string message)
        : this("$", message)
    {
    }

    /// <summary>Creates the exception wrapping another.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ScenarioFormatException(string message, Exception innerException)
        : base($"$: {message}", innerException)
    {
        JsonPath = "$";
        Problem = message;
    }

    /// <summary>The JSON path of the offending value (<c>$</c> for the whole document).</summary>
    public string JsonPath { get; }

    /// <summary>What was expected and what was found, without the path.</summary>
    public string Problem { get; }
}
