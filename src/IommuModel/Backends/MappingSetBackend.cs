using Verify.Vfio;

namespace Verify.IommuModel.Backends;

/// <summary>
/// A container model that knows the IOVA rules only: a sorted set of live mappings under type1 v2's MAP and UNMAP rules
/// (docs/semantics.md 5.1-5.2, without pins, alignment or page tables) or, with <see cref="DmaBackendTraits.UnmapMayBisect"/>,
/// a backend that cuts a mapping in place (iommufd's area cut, or the atomic replace the seed thread discusses). It is
/// what a DMA listener drives where a <see cref="Type1.Type1Container"/> cannot go: a split-capable backend, and
/// address spaces whose regions reach 2^64, which no process's memory and no 48-bit IOMMU domain can hold.
/// </summary>
/// <remarks>Every call costs O(log n + k) for k mappings touched. Ends and sizes are <see cref="UInt128"/>, so a
/// mapping may end at 2^64. Not thread-safe.</remarks>
public sealed class MappingSetBackend : IDmaBackend
{
    private readonly MappingSet _set;

    /// <summary>Creates an empty container.</summary>
    /// <param name="name">Name for reports.</param>
    /// <param name="traits">What it allows.</param>
    public MappingSetBackend(string name, DmaBackendTraits traits) => _set = new MappingSet(name, traits);

    /// <inheritdoc/>
    public string Name => _set.Name;

    /// <inheritdoc/>
    public DmaBackendTraits Traits => _set.Traits;

    /// <inheritdoc/>
    public IReadOnlyList<DmaMapping> Mappings => _set.Mappings;

    /// <summary>Every call with its result, oldest first.</summary>
    public IReadOnlyList<ApiCall> Calls => _set.Calls;

    /// <inheritdoc/>
    public DmaResult Map(in DmaMapping mapping) => _set.Map(mapping);

    /// <inheritdoc/>
    public DmaResult Unmap(AddressRange iova) => _set.Unmap(iova);

    /// <inheritdoc/>
    public DmaResult UnmapAll() => _set.UnmapAll();

    /// <inheritdoc/>
    public override string ToString() => _set.ToString();
}
