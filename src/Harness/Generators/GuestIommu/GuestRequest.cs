using System.Globalization;
using Verify.MemoryMap;

namespace Verify.Harness.Generators.GuestIommu;

/// <summary>One guest page-table request in a domain: map <see cref="Pages"/> pages at <see cref="IovaPage"/> to guest
/// physical page <see cref="GpaPage"/>, or unmap them. Addresses are in 4 KiB pages so cases print and shrink simply.</summary>
/// <param name="Unmap">Whether it is an unmap (then <see cref="GpaPage"/> and <see cref="Writable"/> are ignored).</param>
/// <param name="IovaPage">First IOVA page.</param>
/// <param name="Pages">Number of pages; at least 1.</param>
/// <param name="GpaPage">First guest physical page of a map.</param>
/// <param name="Writable">Whether a map is writable.</param>
public sealed record GuestRequest(bool Unmap, ulong IovaPage, ulong Pages, ulong GpaPage, bool Writable)
{
    private const ulong Page = 0x1000;

    /// <summary>The IOVA range.</summary>
    public AddressRange Iova => new(IovaPage * Page, (UInt128)Pages * Page);

    /// <summary>The guest physical address of a map.</summary>
    public ulong Gpa => GpaPage * Page;

    /// <summary>Whether a map is big and aligned enough for a VT-d 2 MiB leaf.</summary>
    public bool HasSuperpage => !Unmap && Pages >= 512 && (IovaPage % 512 == GpaPage % 512);

    /// <summary>Simpler requests: fewer pages, lower addresses, read-write.</summary>
    /// <returns>Candidates.</returns>
    public IEnumerable<GuestRequest> Shrink()
    {
        if (Pages > 1)
        {
            yield return this with { Pages = 1 };
            yield return this with { Pages = Pages / 2 };
        }

        if (IovaPage > 0 && IovaPage < 0x1_0000)
        {
            yield return this with { IovaPage = IovaPage / 2 };
        }

        if (!Unmap && !Writable)
        {
            yield return this with { Writable = true };
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Unmap
        ? string.Create(CultureInfo.InvariantCulture, $"unmap {Iova}")
        : string.Create(CultureInfo.InvariantCulture, $"map {Iova} -> gpa 0x{Gpa:x} {(Writable ? "rw" : "ro")}");
}
