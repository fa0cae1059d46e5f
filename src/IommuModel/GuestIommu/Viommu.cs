using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.Vfio;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// The guest's vIOMMU as QEMU emulates it (docs/semantics.md 7): the global DMA remapping switch, domains with guest page
/// tables, a context entry per device, and one <see cref="DeviceAddressSpace"/> (with its own container) per plugged
/// device. Guest requests change the guest state; QEMU's reactions (address-space switch, replay, shadow sync) drive
/// each device's vfio listener and container.
/// </summary>
/// <remarks>
/// <para>VT-d learns of guest table changes only through <see cref="Invalidate"/> (caching mode); virtio-iommu
/// syncs at every <see cref="Map"/> and <see cref="Unmap"/>. A guest that turns remapping off is taken to tear down
/// its context entries (the life cycle's <c>RemappingOff -> Detached</c> on re-enable).</para>
/// <para>Shadow mappings take their host translation when they are made: a later change of system memory under a
/// guest mapping's target is not re-synced, as in QEMU. Not thread-safe.</para>
/// </remarks>
public sealed class Viommu
{
    private readonly Func<string, IDmaBackend> _openContainer;
    private readonly Dictionary<string, DeviceAddressSpace> _devices = new(StringComparer.Ordinal);
    private ImmutableSortedDictionary<int, GuestPageTable> _domains = ImmutableSortedDictionary<int, GuestPageTable>.Empty;

    /// <summary>Creates a vIOMMU with remapping off, no domains and no devices.</summary>
    /// <param name="options">The variant.</param>
    /// <param name="dmaOptions">vfio's section rules.</param>
    /// <param name="system">The machine's system memory tree.</param>
    /// <param name="openContainer">Opens a new container for a device address space (given the device's name).</param>
    public Viommu(GuestIommuOptions options, DmaOptions dmaOptions, RegionTree system, Func<string, IDmaBackend> openContainer)
    {
        Options = Preconditions.CheckNotNull(options, nameof(options));
        DmaOptions = Preconditions.CheckNotNull(dmaOptions, nameof(dmaOptions));
        SystemTree = Preconditions.CheckNotNull(system, nameof(system));
        SystemView = system.Render();
        _openContainer = Preconditions.CheckNotNull(openContainer, nameof(openContainer));
    }

    /// <summary>The variant.</summary>
    public GuestIommuOptions Options { get; }

    /// <summary>vfio's section rules.</summary>
    public DmaOptions DmaOptions { get; }

    /// <summary>The system memory tree.</summary>
    public RegionTree SystemTree { get; private set; }

    /// <summary>The rendered system memory view (what guest physical addresses reach).</summary>
    public FlatView SystemView { get; private set; }

    /// <summary>The guest's global DMA remapping switch.</summary>
    public bool RemappingEnabled { get; private set; }

    /// <summary>The current transaction number; every memory transaction and every guest request opens a new one.</summary>
    public int Transaction { get; private set; }

    /// <summary>The domains the guest has mapped something in, by id.</summary>
    public IReadOnlyDictionary<int, GuestPageTable> Domains => _domains;

    /// <summary>The plugged devices, by name.</summary>
    public IReadOnlyDictionary<string, DeviceAddressSpace> Devices => _devices;

    /// <summary>A domain's table (empty when the guest never mapped in it).</summary>
    /// <param name="domain">The domain id.</param>
    /// <returns>The table.</returns>
    public GuestPageTable Table(int domain) => _domains.TryGetValue(domain, out var t) ? t : GuestPageTable.Empty;

    /// <summary>Hot-plugs an assigned device: its address space is built and vfio's listener registered on it, which maps
    /// the current view (all RAM with remapping off; with remapping on the IOMMU notifier replays a none context: nothing).</summary>
    /// <param name="device">A device name not plugged yet.</param>
    /// <returns>The refusal, or <see cref="GuestRefusal.None"/>.</returns>
    public GuestRefusal Hotplug(string device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_devices.ContainsKey(device))
        {
            return GuestRefusal.WrongSlotState;
        }

        if (Options.Kind == GuestIommuKind.VtD && !Options.CachingMode)
        {
            return GuestRefusal.NoCachingMode;
        }

        NextTransaction();
        _devices.Add(device, new DeviceAddressSpace(this, device, _openContainer(device)));
        return GuestRefusal.None;
    }

    /// <summary>Unplugs a device: its listener goes, so its container is emptied.</summary>
    /// <param name="device">A plugged device.</param>
    /// <returns>The refusal, or <see cref="GuestRefusal.None"/>.</returns>
    public GuestRefusal Unplug(string device)
    {
        if (!_devices.Remove(device, out var space))
        {
            return GuestRefusal.WrongSlotState;
        }

        NextTransaction();
        space.Remove();
        return GuestRefusal.None;
    }

    /// <summary>Turns DMA remapping on or off (global command TE): every device switches address space.</summary>
    /// <param name="on">The new state.</param>
    public void SetRemapping(bool on)
    {
        if (on == RemappingEnabled)
        {
            return;
        }

        RemappingEnabled = on;
        foreach (var space in _devices.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            if (!on)
            {
                space.Context = ContextEntry.None;
            }

            NextTransaction();
            space.Switch(UseIommu(space.Context), Options.Switch);
        }
    }

    /// <summary>Writes a device's context entry and invalidates its context cache: the address space switches when
    /// passthrough is entered or left; otherwise the notifiers replay (unmap everything, walk the new domain).</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="entry">The new entry.</param>
    /// <returns>The refusal, or <see cref="GuestRefusal.None"/>.</returns>
    public GuestRefusal SetContext(string device, ContextEntry entry)
    {
        if (!_devices.TryGetValue(device, out var space))
        {
            return GuestRefusal.WrongSlotState;
        }

        NextTransaction();
        space.Context = entry;
        bool useIommu = UseIommu(entry);
        if (useIommu != space.UsesIommu)
        {
            space.Switch(useIommu, Options.Switch);
        }
        else if (useIommu)
        {
            space.ReplayAll();
        }

        return GuestRefusal.None;
    }

    /// <summary>The guest maps in a domain's table. virtio-iommu tells QEMU at once; VT-d waits for an invalidation.</summary>
    /// <param name="domain">A positive domain id.</param>
    /// <param name="iova">The IOVAs.</param>
    /// <param name="gpa">Guest physical address of the first.</param>
    /// <param name="writable">Whether the device may write.</param>
    /// <returns>The result.</returns>
    public GuestResult Map(int domain, AddressRange iova, ulong gpa, bool writable)
    {
        Preconditions.CheckArgumentRange(domain > 0, domain, "should be a positive domain id", nameof(domain));
        var result = Table(domain).Map(Options.Kind, Options.AddressWidth, iova, gpa, writable, out var table);
        return Changed(domain, table, result);
    }

    /// <summary>The guest unmaps in a domain's table. virtio-iommu tells QEMU at once; VT-d waits for an invalidation.</summary>
    /// <param name="domain">A positive domain id.</param>
    /// <param name="iova">The IOVAs.</param>
    /// <returns>The result.</returns>
    public GuestResult Unmap(int domain, AddressRange iova)
    {
        Preconditions.CheckArgumentRange(domain > 0, domain, "should be a positive domain id", nameof(domain));
        var result = Table(domain).Unmap(Options.Kind, Options.AddressWidth, iova, out var table);
        return Changed(domain, table, result);
    }

    /// <summary>An IOTLB invalidation: every device it reaches re-walks the covered IOVAs (shadow sync).</summary>
    /// <param name="invalidation">What the guest invalidates.</param>
    public void Invalidate(GuestInvalidation invalidation)
    {
        NextTransaction();
        foreach (var space in _devices.Values.Where(d => invalidation.Reaches(d.Context)).OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            space.SyncAll(invalidation.Range);
        }
    }

    /// <summary>Commits a memory transaction on system memory: every device address space re-renders and its listeners see the diff.</summary>
    /// <param name="system">The system tree after the transaction.</param>
    public void CommitSystem(RegionTree system)
    {
        ArgumentNullException.ThrowIfNull(system);
        SystemTree = system;
        SystemView = system.Render();
        NextTransaction();
        foreach (var space in _devices.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            space.Recommit();
        }
    }

    /// <summary>Whether a device with context <paramref name="context"/> uses the IOMMU region (<c>vtd_switch_address_space</c>:
    /// remapping on and not passthrough).</summary>
    /// <param name="context">The device's context entry.</param>
    /// <returns>True for the IOMMU side, false for nodmar.</returns>
    public bool UseIommu(ContextEntry context) => RemappingEnabled && context.Kind != ContextKind.Passthrough;

    /// <summary>vfio's <c>vfio_get_xlat_addr</c> for a guest leaf: its guest physical range must lie in one RAM or
    /// ram-device section of the system view; the mapping is read-only when the leaf or the section is.</summary>
    /// <param name="leaf">A guest leaf.</param>
    /// <returns>The MAP, or null when QEMU would refuse it ("iommu map to non memory area").</returns>
    public DmaMapping? TranslateLeaf(GuestLeaf leaf)
    {
        if (!SystemView.TryLookup(leaf.Gpa, out var section, out ulong offset)
            || section.Kind is not (RegionKind.Ram or RegionKind.RamDevice)
            || (UInt128)leaf.Gpa + leaf.Iova.Size > section.Range.End)
        {
            return null;
        }

        return new DmaMapping(leaf.Iova, section.Region, offset, leaf.Writable && !section.ReadOnly);
    }

    internal GuestPageTable? TableFor(ContextEntry context) => context.Kind == ContextKind.Domain ? Table(context.Domain) : null;

    internal void NextTransaction() => Transaction++;

    private GuestResult Changed(int domain, GuestPageTable table, GuestResult result)
    {
        NextTransaction();
        if (!result.Succeeded || ReferenceEquals(table, Table(domain)))
        {
            return result;
        }

        _domains = _domains.SetItem(domain, table);
        if (Options.Kind == GuestIommuKind.VirtioIommu && !result.Changed.IsEmpty)
        {
            foreach (var space in _devices.Values.Where(d => d.Context.Kind == ContextKind.Domain && d.Context.Domain == domain))
            {
                space.SyncAll(result.Changed);
            }
        }

        return result;
    }
}
