using System.Globalization;

namespace Verify.Harness.Scenarios;

/// <summary>Declares a host process (QEMU, or a second VMM) whose memory type1 containers pin and charge: its
/// <c>RLIMIT_MEMLOCK</c> and whether it has <c>CAP_IPC_LOCK</c> (SEMANTICS.md 5.3). Optional: a container names
/// its process, and an undeclared one is created unlimited.</summary>
/// <param name="Name">The process's name.</param>
public sealed record ProcessStep(string Name) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "process";

    /// <summary><c>RLIMIT_MEMLOCK</c> in bytes; null for unlimited.</summary>
    public ulong? Rlimit { get; init; }

    /// <summary>Whether the limit is ignored (the pages are still charged).</summary>
    public bool CapIpcLock { get; init; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"process {Name} rlimit={(Rlimit is { } r ? ScenarioNumbers.Format(r) : "unlimited")}{(CapIpcLock ? " CAP_IPC_LOCK" : "")}");
}
