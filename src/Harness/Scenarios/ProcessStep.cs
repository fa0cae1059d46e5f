using System.Collections.Immutable;
using System.Globalization;
using Verify.IommuModel.Host;

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

    /// <summary>The process's whole memory, when the scenario declares it (raw <c>map-dma</c> calls at host addresses);
    /// empty for a process backed by the scenario's RAM blocks (listener mappings by region and offset).</summary>
    public ImmutableArray<VirtualRun> Memory { get; init; } = [];

    /// <summary>Reserved physical ranges of a declared memory (a BAR mmapped into the process): pinned, never charged.</summary>
    public ImmutableArray<PhysicalRange> Reserved { get; init; } = [];

    /// <summary>Whether the step declares the process's memory itself.</summary>
    public bool HasOwnMemory => !Memory.IsEmpty;

    /// <inheritdoc/>
    public bool Equals(ProcessStep? other) =>
        other is not null && Name == other.Name && Rlimit == other.Rlimit && CapIpcLock == other.CapIpcLock
        && Memory.SequenceEqual(other.Memory) && Reserved.SequenceEqual(other.Reserved) && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Rlimit, CapIpcLock, Memory.Length);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"process {Name} rlimit={(Rlimit is { } r ? ScenarioNumbers.Format(r) : "unlimited")}{(CapIpcLock ? " CAP_IPC_LOCK" : "")}")
        + (HasOwnMemory ? "; " + string.Join("; ", Memory) + (Reserved.IsEmpty ? "" : "; reserved " + string.Join(", ", Reserved)) : "");
}
