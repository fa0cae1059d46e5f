using System.Globalization;
using Verify.MemoryMap;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// One leaf of a guest IOMMU page table: guest IOVAs <see cref="Iova"/> translate linearly to guest physical
/// addresses from <see cref="Gpa"/>. Under VT-d a leaf is one 4 KiB or 2 MiB page-table entry; under virtio-iommu
/// it is one MAP request's interval.
/// </summary>
/// <param name="Iova">The guest IOVAs; never empty, inside the guest IOMMU's address width.</param>
/// <param name="Gpa">Guest physical address of <c>Iova.Start</c>.</param>
/// <param name="Writable">Whether the device may write.</param>
public readonly record struct GuestLeaf(AddressRange Iova, ulong Gpa, bool Writable)
{
    /// <summary>The guest physical address <paramref name="iova"/> reaches, assuming it lies inside <see cref="Iova"/>.</summary>
    /// <param name="iova">An address inside the leaf.</param>
    /// <returns>The guest physical address.</returns>
    public ulong GpaAt(ulong iova) => Gpa + (iova - Iova.Start);

    /// <summary>Prints <c>[0x1000..0x2000) -> gpa 0x8000 rw</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Iova} -> gpa 0x{Gpa:x} {(Writable ? "rw" : "ro")}");
}
