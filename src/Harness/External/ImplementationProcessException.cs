namespace Verify.Harness.External;

/// <summary>
/// An external implementation that can no longer be talked to: it did not start, said no valid hello, crashed, hung
/// past the per-call timeout, answered garbage or another request, or reported an error. The message is one line
/// naming the command, the request and what came back (and the last lines of its stderr), meant for a person: the
/// run ends with it, without a stack trace.
/// </summary>
public sealed class ImplementationProcessException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The one-line account.</param>
    public ImplementationProcessException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ImplementationProcessException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The one-line account.</param>
    /// <param name="innerException">The cause.</param>
    public ImplementationProcessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
