using System.Globalization;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>A step of the guest IOMMU (SEMANTICS.md 7): it needs a <see cref="ViommuStep"/> first, and after it the
/// runner checks what VI-01 checks.</summary>
public abstract record GuestIommuStep : ScenarioStep
{
    private protected GuestIommuStep()
    {
    }
}

/// <summary>Puts a vIOMMU in front of the machine of the scenario's <c>layout</c> step: one type1 container per device
/// address space, all in one process; remapping starts off and no device is plugged.</summary>
/// <param name="Options">Kind, caching mode, switch style and RAM listener (never a deliberate bug).</param>
/// <param name="Accounting">How the containers charge the process.</param>
public sealed record ViommuStep(GuestIommuOptions Options, AccountingMode Accounting) : GuestIommuStep
{
    /// <summary>The process the containers pin in and charge, when the step names none.</summary>
    public const string DefaultProcess = "guest";

    /// <inheritdoc/>
    public override string Kind => "viommu";

    /// <summary>The process's name (what a <c>locked-vm</c> expectation is keyed by).</summary>
    public string Process { get; init; } = DefaultProcess;

    /// <summary>The management rule that sets the process's <c>RLIMIT_MEMLOCK</c>; null for unlimited.</summary>
    public MemlockRule? Memlock { get; init; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"viommu {Options}, {ScenarioReader.AccountingName(Accounting)} accounting in {Process}, memlock {Memlock?.ToString() ?? "unlimited"}");
}

/// <summary>Hot-plugs an assigned device behind the vIOMMU (its address space and container are created and vfio's
/// listener registered).</summary>
/// <param name="Device">The device's name; its container is <c>container-{Device}</c>.</param>
public sealed record GuestHotplugStep(string Device) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "guest-hotplug";

    /// <inheritdoc/>
    public override string ToString() => $"{Device}: hotplug";
}

/// <summary>Unplugs a device: its listener goes, so its container is emptied.</summary>
/// <param name="Device">The device.</param>
public sealed record GuestUnplugStep(string Device) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "guest-unplug";

    /// <inheritdoc/>
    public override string ToString() => $"{Device}: unplug";
}

/// <summary>The guest flips DMA remapping (global: every device switches address space).</summary>
/// <param name="On">The new state.</param>
public sealed record RemappingStep(bool On) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "remapping";

    /// <inheritdoc/>
    public override string ToString() => $"guest: DMA remapping {(On ? "on" : "off")}";
}

/// <summary>The guest writes a device's context entry: none, passthrough, or a domain (switching domains is writing
/// another domain).</summary>
/// <param name="Device">A plugged device.</param>
/// <param name="Entry">The entry.</param>
public sealed record ContextStep(string Device, ContextEntry Entry) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "context";

    /// <inheritdoc/>
    public override string ToString() => $"{Device}: context {Entry}";
}

/// <summary>The guest maps IOVAs of a domain to guest physical memory; a VT-d guest then invalidates the pages that
/// changed, as a correct caching-mode guest does.</summary>
/// <param name="Domain">A positive domain id.</param>
/// <param name="Iova">The IOVAs.</param>
/// <param name="Gpa">Guest physical address of the first.</param>
/// <param name="Writable">Whether the device may write.</param>
public sealed record GuestMapStep(int Domain, AddressRange Iova, ulong Gpa, bool Writable) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "guest-map";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"guest: domain {Domain} map {Iova} -> gpa 0x{Gpa:x} {(Writable ? "rw" : "ro")}");
}

/// <summary>The guest unmaps IOVAs of a domain; a VT-d guest then invalidates what went away.</summary>
/// <param name="Domain">A positive domain id.</param>
/// <param name="Iova">The IOVAs.</param>
public sealed record GuestUnmapStep(int Domain, AddressRange Iova) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "guest-unmap";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"guest: domain {Domain} unmap {Iova}");
}

/// <summary>An invalidation on top of those every guest request carries: it must issue no ioctl.</summary>
/// <param name="Invalidation">Global, one domain, or pages of one domain.</param>
public sealed record GuestInvalidateStep(GuestInvalidation Invalidation) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "invalidate";

    /// <inheritdoc/>
    public override string ToString() => $"guest: invalidate {Invalidation}";
}

/// <summary>The device, as an mdev, pins pages of its own container (<c>vfio_pin_pages</c>) at IOVAs as it sees them;
/// its <c>dma_unmap</c> callback unpins everything it holds in a range being unmapped.</summary>
/// <param name="Device">A plugged device.</param>
/// <param name="Iova">First page's IOVA.</param>
/// <param name="Npage">Pages.</param>
/// <param name="Write">Whether it asks for write access.</param>
public sealed record GuestPinStep(string Device, ulong Iova, int Npage, bool Write) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "guest-pin";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Device}: mdev pin iova 0x{Iova:x} x{Npage} {(Write ? "rw" : "r")}");
}

/// <summary>The device unpins pages of its own container (<c>vfio_unpin_pages</c>).</summary>
/// <param name="Device">A plugged device.</param>
/// <param name="Iova">First page's IOVA.</param>
/// <param name="Npage">Pages.</param>
public sealed record GuestUnpinStep(string Device, ulong Iova, int Npage) : GuestIommuStep
{
    /// <inheritdoc/>
    public override string Kind => "guest-unpin";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Device}: mdev unpin iova 0x{Iova:x} x{Npage}");
}
