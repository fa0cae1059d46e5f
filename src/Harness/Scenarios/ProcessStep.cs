using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Core;
using Verify.Harness.Hosts;
using Verify.IommuModel.Host;

namespace Verify.Harness.Scenarios;

/// <summary>Declares a host process (QEMU, or a second VMM) whose memory type1 containers pin and charge: its
/// <c>RLIMIT_MEMLOCK</c> and whether it has <c>CAP_IPC_LOCK</c> (docs/semantics.md 5.3). Optional: a container names
/// its process, and an undeclared one is created unlimited.</summary>
/// <param name="Name">The process's name.</param>
public sealed record ProcessStep(string Name) : ScenarioStep
{
    /// <summary>The <c>process</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ProcessStep>("process", ["name", "rlimit", "cap-ipc-lock", "memory", "reserved"], Read, Write);


    internal override void Run(ScenarioMachine machine)
    {
        var process = machine.Dma.DeclareProcess(new ProcessSpec(Name, Rlimit, CapIpcLock, Memory, Reserved));
        machine.Log.Say($"declared; RLIMIT_MEMLOCK {(process.RlimitMemlock == ulong.MaxValue ? "unlimited" : ScenarioNumbers.Format(process.RlimitMemlock))}");
    }

    private static ProcessStep Read(JsonWalker b)
    {
        var step = new ProcessStep(b.String("name")) { Rlimit = b.OptionalAddress("rlimit"), CapIpcLock = b.OptionalBool("cap-ipc-lock") ?? false };
        var memory = ScenarioJson.ReadList(b, "memory", "an array of { hva, size, hpa }", w => new VirtualRun(w.Address("hva"), w.Address("size"), w.Address("hpa")));
        var reserved = ScenarioJson.ReadList(b, "reserved", "an array of { hpa, size }", w => new PhysicalRange(w.Address("hpa"), w.Address("size")));
        if (memory.IsEmpty && !reserved.IsEmpty)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "reserved"), "only a process that declares its 'memory' has reserved ranges of its own");
        }

        return step with { Memory = memory, Reserved = reserved };
    }

    private static void Write(ProcessStep s, Utf8JsonWriter w)
    {
        w.WriteString("name", s.Name);
        if (s.Rlimit is { } rlimit) { ScenarioJson.Number(w, "rlimit", rlimit); }
        if (s.CapIpcLock) { w.WriteBoolean("cap-ipc-lock", true); }
        ScenarioJson.Objects(w, "memory", s.Memory, run =>
        {
            ScenarioJson.Number(w, "hva", run.Hva);
            ScenarioJson.Number(w, "size", run.Size);
            ScenarioJson.Number(w, "hpa", run.Hpa);
        });
        ScenarioJson.Objects(w, "reserved", s.Reserved, r =>
        {
            ScenarioJson.Number(w, "hpa", r.Hpa);
            ScenarioJson.Number(w, "size", r.Size);
        });
    }

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
