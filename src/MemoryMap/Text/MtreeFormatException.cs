namespace Verify.MemoryMap.Text;

/// <summary>
/// Thrown when <c>info mtree -f</c> text cannot be read: the message starts with the line number
/// (<c>line 12: expected "...", got "..."</c>) so that a user can find the line in a pasted dump.
/// </summary>
/// <remarks>A <see cref="FormatException"/> because the input is malformed text, not a misuse of the API.</remarks>
public sealed class MtreeFormatException : FormatException
{
    /// <summary>Creates the exception for a defect found on <paramref name="lineNumber"/>.</summary>
    /// <param name="lineNumber">The 1-based line where the defect was found.</param>
    /// <param name="detail">What was expected and what was found; the line number is prepended.</param>
    public MtreeFormatException(int lineNumber, string detail)
        : base($"line {lineNumber}: {detail}")
    {
        LineNumber = lineNumber;
        Detail = detail;
    }

    /// <summary>Creates the exception for a defect that involves two lines (an overlap, an order violation).</summary>
    /// <param name="earlierLine">The 1-based earlier line.</param>
    /// <param name="lineNumber">The 1-based line where the defect was found; after <paramref name="earlierLine"/>.</param>
    /// <param name="detail">What is wrong; the line numbers are prepended.</param>
    public MtreeFormatException(int earlierLine, int lineNumber, string detail)
        : base($"lines {earlierLine} and {lineNumber}: {detail}")
    {
        LineNumber = lineNumber;
        EarlierLineNumber = earlierLine;
        Detail = detail;
    }

    /// <summary>The 1-based line where the defect was found.</summary>
    public int LineNumber { get; }

    /// <summary>For a defect between two lines, the 1-based earlier one; otherwise <see langword="null"/>.</summary>
    public int? EarlierLineNumber { get; }

    /// <summary>The message without the line prefix.</summary>
    public string Detail { get; }

    internal static MtreeFormatException Expected(int lineNumber, string expected, ReadOnlySpan<char> got) =>
        new(lineNumber, $"expected {expected}, got \"{got}\"");
}
