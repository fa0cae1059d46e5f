using System.Collections.Immutable;
using Verify.IommuModel.Host;

namespace Verify.Harness.Hosts;

/// <summary>A host process as a scenario declares it (docs/semantics.md 5.3).</summary>
/// <param name="Name">The process's name.</param>
/// <param name="Rlimit"><c>RLIMIT_MEMLOCK</c> in bytes; null for unlimited.</param>
/// <param name="CapIpcLock">Whether the limit is ignored.</param>
/// <param name="Memory">Its whole memory when declared; empty for one backed by the scenario's RAM blocks.</param>
/// <param name="Reserved">Reserved physical ranges of a declared memory.</param>
public sealed record ProcessSpec(string Name, ulong? Rlimit, bool CapIpcLock, ImmutableArray<VirtualRun> Memory, ImmutableArray<PhysicalRange> Reserved)
{
    /// <summary>Whether the process's memory is declared.</summary>
    public bool HasOwnMemory => !Memory.IsEmpty;
}

/// <summary>A container as a scenario asks for it: a type1 container in a process, or the split-capable IOVA model.</summary>
/// <param name="Name">The container's name.</param>
/// <param name="Traits">What it allows (bisect, unmap-all, entry limit).</param>
/// <param name="Process">The process whose memory it pins (type1 only).</param>
/// <param name="Type1">The type1 variant, or null for the split-capable model.</param>
/// <param name="Domains">One page-table configuration per IOMMU domain (type1 only).</param>
public sealed record ContainerSpec(string Name, Verify.Vfio.DmaBackendTraits Traits, string Process, Verify.IommuModel.Type1.Type1Options? Type1,
    ImmutableArray<Verify.IommuModel.PageTables.PageTableOptions> Domains);
