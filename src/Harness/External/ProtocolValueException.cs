namespace Verify.Harness.External;

/// <summary>A field of an implementation's answer that the protocol does not allow: where (a JSON path in the answer)
/// and what was expected. Turned into one <see cref="ImplementationProcessException"/> line by the process.</summary>
internal sealed class ProtocolValueException(string path, string expected) : Exception($"{path}: expected {expected}")
{
    /// <summary>The JSON path of the field in the answer, for example <c>$.calls[2].size</c>.</summary>
    public string Path { get; } = path;
}
