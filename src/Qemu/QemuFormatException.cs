namespace Verify.Qemu;

/// <summary>
/// A malformed recording script or transcript. The message starts with <c>file:line:</c> and says
/// what was expected there, so the CLI can print it as it is, without a stack trace.
/// </summary>
public sealed class QemuFormatException : FormatException
{
    /// <summary>Creates the exception for one offending line.</summary>
    /// <param name="file">The file name as the user gave it.</param>
    /// <param name="line">1-based line number.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    public QemuFormatException(string file, int line, string problem)
        : base($"{file}:{line}: {problem}")
    {
        File = file;
        Line = line;
    }

    /// <summary>The file name as the user gave it.</summary>
    public string File { get; }

    /// <summary>1-based line number of the offending line.</summary>
    public int Line { get; }
}
