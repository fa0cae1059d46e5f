using Verify.IommuModel.GuestIommu;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Oracle.Dma;
using Verify.Vfio;

namespace Verify.Oracle.GuestIommu;

/// <summary>
/// What a device should reach at one IOVA under a guest IOMMU, written from docs/semantics.md 7 and 2.4 page by page:
/// unplugged or in the interrupt window: nothing; remapping off or passthrough: the system view as vfio maps it;
/// context none: nothing; a domain: the guest page table (a dictionary of 4 KiB pages, each remembering its leaf)
/// gives a guest physical address, whose whole leaf must fall in one RAM section of the system view.
/// </summary>
/// <remarks>Shares only vocabulary types with the model: the guest table is kept here page by page from the guest's
/// requests, never read from the model. Slow on purpose; keep guest mappings small. Not thread-safe.</remarks>
public sealed partial class GuestIommuOracle
{
    private const ulong Page = 0x1000;
    private const ulong Superpage = 0x20_0000;
    private readonly Dictionary<string, ContextEntry> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Dictionary<ulong, OraclePte>> _domains = [];

    /// <summary>An oracle with remapping off, no devices and empty domains.</summary>
    /// <param name="kind">Whose mapping rules apply.</param>
    /// <param name="addressWidth">The guest IOMMU's address width.</param>
    public GuestIommuOracle(GuestIommuKind kind, int addressWidth)
    {
        Kind = kind;
        AddressWidth = addressWidth;
    }

    /// <summary>Whose mapping rules apply.</summary>
    public GuestIommuKind Kind { get; }

    /// <summary>The guest IOMMU's address width.</summary>
    public int AddressWidth { get; }

    /// <summary>The remapping switch.</summary>
    public bool Remapping { get; private set; }

    /// <summary>Whether a device is plugged.</summary>
    /// <param name="device">A name.</param>
    /// <returns>Whether it is plugged.</returns>
    public bool IsPlugged(string device) => _devices.ContainsKey(device);

    /// <summary>A device is plugged with a not-present context.</summary>
    /// <param name="device">A name.</param>
    public void Hotplug(string device) => _devices[device] = ContextEntry.None;

    /// <summary>A device is unplugged.</summary>
    /// <param name="device">A name.</param>
    public void Unplug(string device)
    {
        _devices.Remove(device);
        _pins.Remove(device);
    }

    /// <summary>The guest flips remapping; turning it off tears the context entries down.</summary>
    /// <param name="on">The new state.</param>
    public void SetRemapping(bool on)
    {
        Remapping = on;
        if (!on)
        {
            foreach (var d in _devices.Keys.ToList())
            {
                _devices[d] = ContextEntry.None;
            }
        }
    }

    /// <summary>The guest writes a device's context entry.</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="entry">The entry.</param>
    public void SetContext(string device, ContextEntry entry) => _devices[device] = entry;

    /// <summary>The guest maps <paramref name="size"/> bytes at <paramref name="iova"/> to <paramref name="gpa"/>.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="iova">First IOVA.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="gpa">First guest physical address.</param>
    /// <param name="writable">Whether writes are allowed.</param>
    /// <returns>Whether the guest IOMMU accepts it (aligned, non-empty, inside the width, nothing present there).</returns>
    public bool Map(int domain, ulong iova, ulong size, ulong gpa, bool writable)
    {
        var pages = Pages(domain);
        if (size == 0 || iova % Page != 0 || size % Page != 0 || gpa % Page != 0
            || (UInt128)iova + size > (UInt128)1 << AddressWidth || (UInt128)gpa + size > AddressSpace.End)
        {
            return false;
        }

        for (ulong p = iova; p < iova + size; p += Page)
        {
            if (pages.ContainsKey(p))
            {
                return false;
            }
        }

        for (ulong p = iova; p < iova + size; p += Page)
        {
            ulong target = gpa + (p - iova);
            ulong block = p - p % Superpage;
            bool super = Kind == GuestIommuKind.VtD && block >= iova && (UInt128)block + Superpage <= (UInt128)iova + size
                && (gpa + (block - iova)) % Superpage == 0;
            var (leafStart, leafSize) = Kind == GuestIommuKind.VirtioIommu ? (iova, size) : super ? (block, Superpage) : (p, Page);
            pages[p] = new OraclePte(target, writable, leafStart, leafSize);
        }

        return true;
    }

    /// <summary>The guest unmaps <paramref name="size"/> bytes at <paramref name="iova"/>.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="iova">First IOVA.</param>
    /// <param name="size">Bytes.</param>
    /// <returns>Whether it is accepted (VT-d removes whole leaves it touches; virtio-iommu refuses to split an interval).</returns>
    public bool Unmap(int domain, ulong iova, ulong size)
    {
        var pages = Pages(domain);
        if (size == 0 || iova % Page != 0 || size % Page != 0 || (UInt128)iova + size > (UInt128)1 << AddressWidth)
        {
            return false;
        }

        UInt128 end = (UInt128)iova + size;
        var touched = pages.Where(kv => kv.Value.LeafStart < end && (UInt128)kv.Value.LeafStart + kv.Value.LeafSize > iova).ToList();
        if (Kind == GuestIommuKind.VirtioIommu && touched.Any(kv => kv.Value.LeafStart < iova || (UInt128)kv.Value.LeafStart + kv.Value.LeafSize > end))
        {
            return false;
        }

        foreach (var kv in touched)
        {
            pages.Remove(kv.Key);
        }

        return true;
    }

    /// <summary>The guest physical page a domain maps <paramref name="iova"/>'s page to, or null.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="iova">An IOVA.</param>
    /// <returns>The guest physical address of <paramref name="iova"/> or null.</returns>
    public ulong? GuestPhysical(int domain, ulong iova) =>
        Pages(domain).TryGetValue(iova - iova % Page, out var pte) ? pte.Gpa + iova % Page : null;

    /// <summary>The IOVAs where a domain's translation may change: every leaf's first and last page.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>Sample addresses.</returns>
    public IEnumerable<ulong> LeafEdges(int domain) =>
        Pages(domain).Values.SelectMany(p => new[] { p.LeafStart, p.LeafStart + p.LeafSize - Page }).Distinct();

    /// <summary>A domain's leaves as (first IOVA, size), ascending.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>The leaves.</returns>
    public IEnumerable<(ulong Start, ulong Size)> Leaves(int domain) =>
        Pages(domain).Values.Select(p => (p.LeafStart, p.LeafSize)).Distinct().OrderBy(l => l.LeafStart);

    /// <summary>The plugged devices.</summary>
    public IEnumerable<string> Devices => _devices.Keys;

    /// <summary>Every domain id the guest has touched.</summary>
    public IEnumerable<int> DomainIds => _domains.Keys;

    /// <summary>The context entry of a plugged device.</summary>
    /// <param name="device">A plugged device.</param>
    /// <returns>The entry.</returns>
    public ContextEntry ContextOf(string device) => _devices[device];

    /// <summary>The effective translation of <paramref name="iova"/> for <paramref name="device"/>.</summary>
    /// <param name="device">A device name.</param>
    /// <param name="iova">An IOVA.</param>
    /// <param name="system">The system memory view.</param>
    /// <param name="options">vfio's section rules.</param>
    /// <returns>The translation, or null when the device reaches nothing.</returns>
    public DmaTranslation? Translate(string device, ulong iova, FlatView system, DmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!_devices.TryGetValue(device, out var context) || GuestIommuOptions.InterruptWindow.Contains(iova))
        {
            return null;
        }

        if (!Remapping || context.Kind == ContextKind.Passthrough)
        {
            return DmaVisibilityOracle.Translate(system, options, iova);
        }

        if (context.Kind == ContextKind.None || !Pages(context.Domain).TryGetValue(iova - iova % Page, out var pte))
        {
            return null;
        }

        // vfio_get_xlat_addr: the leaf's whole guest physical range must be RAM of one section.
        ulong leafGpa = pte.Gpa - (iova - iova % Page - pte.LeafStart);
        foreach (var s in system.Ranges)
        {
            if (leafGpa >= s.Range.Start && leafGpa < s.Range.End)
            {
                if (!(s.Kind == RegionKind.Ram || s.Kind == RegionKind.RamDevice) || (UInt128)leafGpa + pte.LeafSize > s.Range.End)
                {
                    return null;
                }

                ulong gpa = pte.Gpa + iova % Page;
                return new DmaTranslation(s.Region, s.OffsetInRegion + (gpa - s.Range.Start), pte.Writable && !s.ReadOnly);
            }
        }

        return null;
    }

    private Dictionary<ulong, OraclePte> Pages(int domain)
    {
        if (!_domains.TryGetValue(domain, out var pages))
        {
            pages = [];
            _domains[domain] = pages;
        }

        return pages;
    }

    private readonly record struct OraclePte(ulong Gpa, bool Writable, ulong LeafStart, ulong LeafSize);
}
