namespace Verify.Qemu;

/// <summary>
/// A recording could not be made: QEMU is missing, exited early, refused a command or did not
/// answer in time. The message is one complete sentence for the user (with QEMU's stderr when it
/// has something to say); it is printed without a stack trace.
/// </summary>
public sealed class QemuRecordingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, for the user.</param>
    public QemuRecordingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the failure that caused it.</summary>
    /// <param name="message">What went wrong, for the user.</param>
    /// <param name="inner">The underlying failure (socket, process).</param>
    public QemuRecordingException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
