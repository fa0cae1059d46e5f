namespace Verify.IommuModel.Type1;

/// <summary>What a registered device's <c>dma_unmap</c> callback does when UNMAP_DMA meets its pins
/// (docs/semantics.md 5.4). The kernel trusts the driver; the misbehaving choices exercise its retry loop.</summary>
public enum Type1DeviceCallback
{
    /// <summary>The device has no <c>dma_unmap</c>: it cannot pin (EINVAL) and is never called.</summary>
    None,

    /// <summary>A correct driver: unpins every reference it holds in the range.</summary>
    UnpinsAll,

    /// <summary>A broken driver that ignores the callback: the retry loop ends in the kernel BUG.</summary>
    UnpinsNothing,

    /// <summary>A slow driver that drops one reference per call: the unmap succeeds if the mapping holds at most
    /// 11 references in all, and hits the BUG otherwise.</summary>
    UnpinsOnePage,
}

/// <summary>One page's entry in the container's external pin table (<c>struct vfio_pfn</c>: GFN -> pinned pfn + refcount).</summary>
/// <param name="Iova">The page's IOVA.</param>
/// <param name="Hpa">The host physical page pinned by the first pin.</param>
/// <param name="Count">References; at least 1.</param>
public readonly record struct Type1ExternalPin(ulong Iova, ulong Hpa, int Count)
{
    /// <inheritdoc/>
    public override string ToString() => $"iova 0x{Iova:x} -> hpa 0x{Hpa:x} x{Count}";
}

/// <summary>Where an UNMAP hit the kernel BUG: the mapping whose external pins survived more than 10 retries.</summary>
/// <param name="Iova">The mapping's first IOVA.</param>
/// <param name="Size">Its size.</param>
/// <param name="Retries">Retries on it when the BUG fired (11).</param>
public sealed record Type1KernelBug(ulong Iova, ulong Size, int Retries)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"kernel BUG: unmap of [0x{Iova:x}..0x{(UInt128)Iova + Size:x}) still has external pins after {Retries} retries";
}
