using Verify.Vfio;

namespace Verify.Harness.Implementations;

/// <summary>What a vfio listener knows about the one container it serves when it is created: the section rules of
/// its address space and the container's kernel rules (docs/semantics.md 2.4, 5).</summary>
/// <param name="Options">Host page size, smallest IOMMU page, protected regions.</param>
/// <param name="Backend">Whether an UNMAP may cut a mapping, whether unmap-all exists, the entry limit.</param>
public sealed record ContainerTraits(DmaOptions Options, DmaBackendTraits Backend);
