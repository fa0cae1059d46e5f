namespace Verify.IommuModel.Lifecycle;

/// <summary>Where an assigned device stands, seen from the device (docs/semantics.md 7).</summary>
public enum DeviceStateKind
{
    /// <summary>No device in the slot; the default.</summary>
    Unplugged,

    /// <summary>Plugged with the guest's DMA remapping off: the device's address space is the shared nodmar alias.</summary>
    RemappingOff,

    /// <summary>Remapping on, context entry passthrough: still the nodmar alias (QEMU uses it for passthrough too).</summary>
    Passthrough,

    /// <summary>Remapping on, context entry naming a domain: the IOMMU region, translated by the domain's tables.</summary>
    AttachedToDomain,

    /// <summary>Remapping on, context entry not present: the IOMMU region with nothing mapped, so no DMA.</summary>
    Detached,
}

/// <summary>
/// One device's life-cycle state: its kind, the domain when attached, whether an mdev vendor driver holds
/// pins, and the guest's global DMA remapping switch.
/// </summary>
/// <remarks>
/// Remapping is global in the guest, so it is only free data while the slot is empty (the next hotplug needs
/// it); for a plugged device it follows from the kind (off exactly in <see cref="DeviceStateKind.RemappingOff"/>).
/// <c>default</c> is <see cref="Initial"/>: unplugged, remapping off, no pins. Immutable and thread safe.
/// </remarks>
public readonly record struct DeviceState
{
    private DeviceState(DeviceStateKind kind, int? domain, bool hasPins, bool remappingOn)
    {
        Kind = kind;
        Domain = domain;
        HasPins = hasPins;
        RemappingOn = remappingOn;
    }

    /// <summary>The empty slot of a guest that has not enabled remapping: where every script starts.</summary>
    public static DeviceState Initial => default;

    /// <summary>The state's kind.</summary>
    public DeviceStateKind Kind { get; }

    /// <summary>The domain id; set exactly when <see cref="Kind"/> is <see cref="DeviceStateKind.AttachedToDomain"/>.</summary>
    public int? Domain { get; }

    /// <summary>Whether an mdev vendor driver holds pinned pages through this device; never true while unplugged.</summary>
    public bool HasPins { get; }

    /// <summary>The guest's global DMA remapping switch; false exactly in <see cref="DeviceStateKind.RemappingOff"/> when plugged.</summary>
    public bool RemappingOn { get; }

    /// <summary>Whether a device is in the slot.</summary>
    public bool IsPlugged => Kind != DeviceStateKind.Unplugged;

    /// <summary>An empty slot.</summary>
    /// <param name="remappingOn">The guest's remapping switch.</param>
    /// <returns>The state.</returns>
    public static DeviceState Unplugged(bool remappingOn) => new(DeviceStateKind.Unplugged, null, false, remappingOn);

    /// <summary>A plugged device of the given kind.</summary>
    /// <param name="kind">Any kind but <see cref="DeviceStateKind.Unplugged"/>.</param>
    /// <param name="domain">The domain, exactly when <paramref name="kind"/> is attached.</param>
    /// <param name="hasPins">Whether an mdev holds pins.</param>
    /// <returns>The state.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The kind is unplugged, or the domain does not match the kind.</exception>
    public static DeviceState Plugged(DeviceStateKind kind, int? domain = null, bool hasPins = false)
    {
        if (kind is DeviceStateKind.Unplugged || !Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "should be a plugged kind");
        }

        if ((kind == DeviceStateKind.AttachedToDomain) != domain.HasValue)
        {
            throw new ArgumentOutOfRangeException(nameof(domain), domain, $"should be set exactly when attached (kind {kind})");
        }

        return new(kind, domain, hasPins, kind != DeviceStateKind.RemappingOff);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceStateKind.Unplugged => $"Unplugged (remapping {(RemappingOn ? "on" : "off")})",
        DeviceStateKind.AttachedToDomain => $"AttachedToDomain({Domain}){(HasPins ? " pinned" : "")}",
        _ => $"{Kind}{(HasPins ? " pinned" : "")}",
    };
}
