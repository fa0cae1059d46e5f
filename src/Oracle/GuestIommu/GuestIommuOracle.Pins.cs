using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Oracle.GuestIommu;

/// <summary>
/// An mdev behind the vIOMMU pins pages of its own container (docs/semantics.md 5.4), at IOVAs as the device sees them:
/// a pin needs every page to translate (with write access when asked); each pin is one reference per page; the
/// container has an IOMMU domain, so pins charge nothing beyond what the mappings charge. Kept here as a list of
/// pages with reference counts, from the requests alone.
/// </summary>
public sealed partial class GuestIommuOracle
{
    /// <summary>Most pages one call may pin (<c>VFIO_PIN_PAGES_MAX_ENTRIES</c>).</summary>
    public const int MaxPinPages = 512;

    private readonly Dictionary<string, SortedDictionary<ulong, int>> _pins = new(StringComparer.Ordinal);

    /// <summary><c>vfio_pin_pages</c> for <paramref name="device"/>'s own container: EINVAL for no pages or an unaligned
    /// IOVA, E2BIG past <see cref="MaxPinPages"/>, then page by page EINVAL where nothing translates and EPERM where a
    /// write is asked of a read-only page; a failure pins nothing.</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="iova">First page.</param>
    /// <param name="npage">Pages.</param>
    /// <param name="write">Whether the device asks for write access.</param>
    /// <param name="system">The system memory view.</param>
    /// <param name="options">vfio's section rules.</param>
    /// <returns>The errno, <see cref="Errno.None"/> for success.</returns>
    public Errno Pin(string device, ulong iova, int npage, bool write, FlatView system, DmaOptions options)
    {
        if (npage <= 0 || iova % Page != 0)
        {
            return Errno.EINVAL;
        }

        if (npage > MaxPinPages)
        {
            return Errno.E2BIG;
        }

        for (int i = 0; i < npage; i++)
        {
            UInt128 at = iova + ((UInt128)(uint)i * Page);
            var t = at > ulong.MaxValue ? null : Translate(device, (ulong)at, system, options);
            if (t is null)
            {
                return Errno.EINVAL;
            }

            if (write && !t.Value.Writable)
            {
                return Errno.EPERM;
            }
        }

        var pins = PinsOf(device);
        for (int i = 0; i < npage; i++)
        {
            ulong at = iova + ((ulong)i * Page);
            pins[at] = pins.GetValueOrDefault(at) + 1;
        }

        return Errno.None;
    }

    /// <summary><c>vfio_unpin_pages</c>: one reference less per page, walking until a page does not translate; EINVAL
    /// when the first does not (or for no pages, an unaligned IOVA), E2BIG past <see cref="MaxPinPages"/>.</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="iova">First page.</param>
    /// <param name="npage">Pages.</param>
    /// <param name="system">The system memory view.</param>
    /// <param name="options">vfio's section rules.</param>
    /// <returns>The errno, <see cref="Errno.None"/> for success.</returns>
    public Errno Unpin(string device, ulong iova, int npage, FlatView system, DmaOptions options)
    {
        if (npage <= 0 || iova % Page != 0)
        {
            return Errno.EINVAL;
        }

        if (npage > MaxPinPages)
        {
            return Errno.E2BIG;
        }

        var pins = PinsOf(device);
        int walked = 0;
        for (; walked < npage; walked++)
        {
            UInt128 at = iova + ((UInt128)(uint)walked * Page);
            if (at > ulong.MaxValue || Translate(device, (ulong)at, system, options) is null)
            {
                break;
            }

            if (pins.TryGetValue((ulong)at, out int count))
            {
                if (count <= 1)
                {
                    pins.Remove((ulong)at);
                }
                else
                {
                    pins[(ulong)at] = count - 1;
                }
            }
        }

        return walked > 0 ? Errno.None : Errno.EINVAL;
    }

    /// <summary>An UNMAP of <paramref name="iova"/> reached the device's container: the kernel calls the device back and
    /// a correct driver drops every reference it holds there.</summary>
    /// <param name="device">The device.</param>
    /// <param name="iova">The unmapped range.</param>
    public void Unmapped(string device, AddressRange iova)
    {
        var pins = PinsOf(device);
        foreach (ulong at in pins.Keys.Where(iova.Contains).ToList())
        {
            pins.Remove(at);
        }
    }

    /// <summary>The pages a device holds pinned, ascending, with their references.</summary>
    /// <param name="device">A device.</param>
    /// <returns>(IOVA, references) pairs.</returns>
    public IReadOnlyList<(ulong Iova, int Count)> PinsHeld(string device) =>
        _pins.TryGetValue(device, out var pins) ? [.. pins.Select(p => (p.Key, p.Value))] : [];

    private SortedDictionary<ulong, int> PinsOf(string device)
    {
        if (!_pins.TryGetValue(device, out var pins))
        {
            pins = [];
            _pins[device] = pins;
        }

        return pins;
    }
}
