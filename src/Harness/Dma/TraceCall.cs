using Verify.MemoryMap;
using Verify.Vfio;

namespace Verify.Harness.Dma;

/// <summary>One ioctl a trace log shows (<see cref="TraceReplay"/>), with what the trace says it returned and what our
/// model of the kernel returns for it.</summary>
/// <param name="Line">The log line of the event the call comes from.</param>
/// <param name="Burst">The burst it belongs to.</param>
/// <param name="Operation">The call; a MAP's region is <c>hva</c> and its offset the host address.</param>
/// <param name="Traced">The result the log shows (success unless an error report or a return value says otherwise);
/// null for a failure whose errno the log does not print (the iommufd backend traces the raw ioctl return, -1).</param>
/// <param name="Modelled">The model's result, or null when the backend has no model to compare with.</param>
public sealed record TraceCall(int Line, int Burst, DmaOperation Operation, Errno? Traced, Errno? Modelled)
{
    /// <summary>Whether the model disagrees with the trace.</summary>
    public bool Differs => Modelled is { } m && Traced is { } t && m != t;

    /// <inheritdoc/>
    public override string ToString() =>
        $"line {Line}: {Operation} => {Name(Traced)}{(Differs ? $", the model says {Name(Modelled)}" : "")}";

    /// <summary>A result as reports print it: <c>ok</c>, the errno's name, or <c>failed</c> when the log does not say which.</summary>
    /// <param name="e">A result.</param>
    /// <returns>The text.</returns>
    public static string Name(Errno? e) => e switch
    {
        null => "failed",
        Errno.None => "ok",
        { } error => error.ToString(),
    };
}
