namespace Verify.Cli;

/// <summary>Writes a file the user asked for whole or not at all: a half-written report reads as a complete one.</summary>
internal static class OutputFile
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="file"/> through a temporary file beside it.</summary>
    /// <param name="file">The file.</param>
    /// <param name="text">Its content.</param>
    /// <param name="option">The option that named it, for the message.</param>
    /// <exception cref="CommandInputException">It cannot be written; nothing is left behind.</exception>
    public static void WriteText(FileInfo file, string text, string option) => Write(file, path => File.WriteAllText(path, text), option);

    /// <summary>Has <paramref name="write"/> write a temporary file beside <paramref name="file"/>, then moves it there.</summary>
    /// <param name="file">The file.</param>
    /// <param name="write">Writes the content to the path it is given.</param>
    /// <param name="option">The option that named it, for the message.</param>
    /// <exception cref="CommandInputException">It cannot be written; nothing is left behind.</exception>
    public static void Write(FileInfo file, Action<string> write, string option)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(write);
        string temporary = file.FullName + ".tmp";
        try
        {
            write(temporary);
            File.Move(temporary, file.FullName, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            throw new CommandInputException($"{option} {file}: cannot be written ({error.Message})");
        }
    }
}
