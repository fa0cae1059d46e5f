using System.Text;

namespace Verify.Cli;

/// <summary>
/// Reads a file the user named, refusing in one line what is not a readable text file: a missing file, a directory
/// (which .NET reports as "access denied"), a file that cannot be read, and binary data (whose bytes would otherwise
/// be echoed to the terminal in a parse error).
/// </summary>
internal static class InputFile
{
    /// <summary>Files larger than this are refused before reading: no dump, scenario or trace log is that big, and a
    /// mistaken path (a disk image) would otherwise be read into memory whole.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Reads <paramref name="file"/> as UTF-8 text.</summary>
    /// <param name="file">The file.</param>
    /// <param name="what">What the file should be, for the message: "a scenario file".</param>
    /// <returns>The text.</returns>
    /// <exception cref="CommandInputException">It is not a readable text file; the message starts with its name.</exception>
    public static string ReadText(FileInfo file, string what)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (Directory.Exists(file.FullName))
        {
            throw new CommandInputException($"{file}: is a directory; expected {what}");
        }

        if (!file.Exists)
        {
            throw new CommandInputException($"{file}: no such file; expected {what}");
        }

        byte[] bytes;
        try
        {
            if (file.Length > MaxBytes)
            {
                throw new CommandInputException($"{file}: {file.Length} bytes; expected {what} of at most {MaxBytes} bytes");
            }

            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new CommandInputException($"{file}: cannot be read ({error.Message}); expected {what}");
        }

        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        int nul = Array.IndexOf(bytes, (byte)0, start);
        if (nul >= 0)
        {
            throw new CommandInputException($"{file}: binary data (a NUL byte at byte {nul + 1}); expected {what} as text");
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException error)
        {
            throw new CommandInputException($"{file}: not UTF-8 text (an invalid byte at byte {start + error.Index + 1}); expected {what}");
        }
    }
}
