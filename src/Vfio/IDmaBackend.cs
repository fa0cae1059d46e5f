namespace Verify.Vfio;

/// <summary>
/// A container the DMA listeners drive (a VFIO type1 container, an iommufd IOAS, or a model of either).
/// Kernel errors are values, never exceptions.
/// </summary>
public interface IDmaBackend
{
    /// <summary>A name for reports (for example <c>container0</c>).</summary>
    string Name { get; }

    /// <summary>What the backend allows.</summary>
    DmaBackendTraits Traits { get; }

    /// <summary>The live mappings, ascending by IOVA.</summary>
    IReadOnlyList<DmaMapping> Mappings { get; }

    /// <summary>MAP_DMA.</summary>
    /// <param name="mapping">What to map.</param>
    /// <returns>The result (EEXIST on overlap, ENOSPC past the entry limit, ...).</returns>
    DmaResult Map(in DmaMapping mapping);

    /// <summary>UNMAP_DMA of a range.</summary>
    /// <param name="iova">The range.</param>
    /// <returns>The result (EINVAL on a bisect under type1 v2); the size is the sum of removed mappings' full sizes.</returns>
    DmaResult Unmap(AddressRange iova);

    /// <summary>UNMAP_DMA with FLAG_ALL.</summary>
    /// <returns>The result; the size is the sum of all removed mappings' sizes.</returns>
    DmaResult UnmapAll();
}
