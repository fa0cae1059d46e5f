using Verify.Vfio;

namespace Verify.IommuModel.GuestIommu;

/// <summary>Who in QEMU issued an ioctl on a device's container.</summary>
public enum IoctlSource
{
    /// <summary>The vfio memory listener, for a RAM section of the device's address space.</summary>
    Listener,

    /// <summary>The IOMMU notifier: replay, shadow sync, or the big unmap when the IOMMU section goes away.</summary>
    Notifier,

    /// <summary>The unified planner (<see cref="RamListenerKind.Unified"/>), for the device's whole translation.</summary>
    Planner,
}

/// <summary>One MAP or UNMAP a device's container received, with what it returned.</summary>
/// <param name="Transaction">The <see cref="Viommu.Transaction"/> it belongs to (a memory transaction or one guest request).</param>
/// <param name="Source">Who issued it.</param>
/// <param name="Operation">The call.</param>
/// <param name="Result">What the container returned.</param>
public sealed record IoctlRecord(int Transaction, IoctlSource Source, DmaOperation Operation, DmaResult Result)
{
    /// <inheritdoc/>
    public override string ToString() => $"t{Transaction} {Source.ToString().ToLowerInvariant()}: {Operation} => {Result}";
}
