using System.Globalization;

namespace Verify.Qemu.Trace;

/// <summary>
/// The prefix QEMU's <c>log</c> trace backend prints before an event when timestamps are on:
/// <c>PID@SECONDS.MICROSECONDS:</c> (the thread id and the wall clock from <c>gettimeofday</c>).
/// </summary>
/// <param name="ThreadId">The id printed before <c>@</c>.</param>
/// <param name="Seconds">Seconds since the epoch.</param>
/// <param name="Microseconds">Microseconds, below 1,000,000.</param>
public readonly record struct QemuTraceStamp(int ThreadId, ulong Seconds, uint Microseconds)
{
    /// <summary>Microseconds since the epoch.</summary>
    public UInt128 TotalMicroseconds => (UInt128)Seconds * 1_000_000 + Microseconds;

    /// <summary>The prefix as QEMU prints it, colon included.</summary>
    /// <returns><c>1234@1700000000.000042:</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ThreadId}@{Seconds}.{Microseconds:D6}:");
}
