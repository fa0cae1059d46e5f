namespace Verify.Cli;

/// <summary>
/// A problem with what the user gave a command (a file, an argument): reported as one line that names the file,
/// line or argument, with exit code 2 and no stack trace.
/// </summary>
/// <param name="message">The line to print after the command's name.</param>
internal sealed class CommandInputException(string message) : Exception(message);
