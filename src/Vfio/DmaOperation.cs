namespace Verify.Vfio;

/// <summary>One ioctl of a DMA plan: MAP_DMA, UNMAP_DMA of a range, or UNMAP_DMA with FLAG_ALL.</summary>
public abstract record DmaOperation
{
    private DmaOperation()
    {
    }

    /// <summary>MAP_DMA of one mapping.</summary>
    /// <param name="Mapping">What to map.</param>
    public sealed record Map(DmaMapping Mapping) : DmaOperation
    {
        /// <inheritdoc/>
        public override string ToString() => $"MAP {Mapping}";
    }

    /// <summary>UNMAP_DMA of a range (every mapping inside it; bisecting one is illegal under type1 v2).</summary>
    /// <param name="Iova">The range.</param>
    public sealed record Unmap(AddressRange Iova) : DmaOperation
    {
        /// <inheritdoc/>
        public override string ToString() => $"UNMAP {Iova}";
    }

    /// <summary>UNMAP_DMA with FLAG_ALL (iova = size = 0): every mapping of the container.</summary>
    public sealed record UnmapAll : DmaOperation
    {
        /// <inheritdoc/>
        public override string ToString() => "UNMAP all";
    }
}
