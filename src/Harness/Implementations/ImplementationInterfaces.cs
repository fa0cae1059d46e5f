namespace Verify.Harness.Implementations;

/// <summary>
/// The interfaces an implementation under test can replace (docs/protocol.md): each one decides which catalogued
/// properties judge it (<see cref="Running.PropertyDefinition.Exercises"/>). The library's own models implement all.
/// </summary>
[Flags]
public enum ImplementationInterfaces
{
    /// <summary>Nothing: a property that judges only the library's models (the oracle's own rules, text formats).</summary>
    None = 0,

    /// <summary>Simplify, topology diff and late-listener replay (QEMU's <c>flatview_simplify</c>,
    /// <c>address_space_update_topology_pass</c>, <c>listener_add_address_space</c>).</summary>
    FlatView = 1,

    /// <summary>A vfio memory listener planning one type1 container's MAP/UNMAP ioctls.</summary>
    Listener = 2,

    /// <summary>An IOMMU page table behind Linux's <c>iommu_domain_ops</c>.</summary>
    PageTable = 4,

    /// <summary>Every interface.</summary>
    All = FlatView | Listener | PageTable,
}
