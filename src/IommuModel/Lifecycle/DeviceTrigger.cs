namespace Verify.IommuModel.Lifecycle;

/// <summary>What can happen to a device (docs/semantics.md 7).</summary>
public enum DeviceTriggerKind
{
    /// <summary>The device is hot-plugged into the guest.</summary>
    Hotplug,

    /// <summary>The device is unplugged.</summary>
    Unplug,

    /// <summary>The guest turns DMA remapping on (global).</summary>
    DmaRemappingOn,

    /// <summary>The guest turns DMA remapping off (global).</summary>
    DmaRemappingOff,

    /// <summary>The guest clears the device's context entry.</summary>
    SetContextNone,

    /// <summary>The guest sets the device's context entry to passthrough.</summary>
    SetContextPassthrough,

    /// <summary>The guest points the device's context entry at a domain.</summary>
    SetContextDomain,

    /// <summary>The guest moves the device from one domain to another.</summary>
    SwitchDomain,

    /// <summary>An mdev vendor driver pins pages.</summary>
    MdevPin,

    /// <summary>An mdev vendor driver unpins its pages.</summary>
    MdevUnpin,
}

/// <summary>A trigger with its parameters; built through the factories so the parameters match the kind.</summary>
/// <remarks><c>default</c> is a <see cref="DeviceTriggerKind.Hotplug"/>, a valid trigger.</remarks>
public readonly record struct DeviceTrigger
{
    private DeviceTrigger(DeviceTriggerKind kind, int? domain, int? newDomain)
    {
        Kind = kind;
        Domain = domain;
        NewDomain = newDomain;
    }

    /// <summary>The trigger's kind.</summary>
    public DeviceTriggerKind Kind { get; }

    /// <summary>The domain set by <see cref="DeviceTriggerKind.SetContextDomain"/>, or the domain
    /// <see cref="DeviceTriggerKind.SwitchDomain"/> leaves; null for other kinds.</summary>
    public int? Domain { get; }

    /// <summary>The domain <see cref="DeviceTriggerKind.SwitchDomain"/> enters; null for other kinds.</summary>
    public int? NewDomain { get; }

    /// <summary>The domain the device is in after the trigger, when it names one.</summary>
    public int? TargetDomain => NewDomain ?? Domain;

    /// <summary>A trigger without parameters.</summary>
    /// <param name="kind">Any kind but the two that name domains.</param>
    /// <returns>The trigger.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The kind needs a domain.</exception>
    public static DeviceTrigger Of(DeviceTriggerKind kind) =>
        kind is DeviceTriggerKind.SetContextDomain or DeviceTriggerKind.SwitchDomain || !Enum.IsDefined(kind)
            ? throw new ArgumentOutOfRangeException(nameof(kind), kind, "should be a trigger without a domain")
            : new(kind, null, null);

    /// <summary>Set the context entry to domain <paramref name="domain"/>.</summary>
    /// <param name="domain">The domain id.</param>
    /// <returns>The trigger.</returns>
    public static DeviceTrigger SetContextDomain(int domain) => new(DeviceTriggerKind.SetContextDomain, domain, null);

    /// <summary>Switch from domain <paramref name="from"/> to domain <paramref name="to"/>.</summary>
    /// <param name="from">The domain left.</param>
    /// <param name="to">The domain entered.</param>
    /// <returns>The trigger.</returns>
    public static DeviceTrigger SwitchDomain(int from, int to) => new(DeviceTriggerKind.SwitchDomain, from, to);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceTriggerKind.SetContextDomain => $"SetContextDomain({Domain})",
        DeviceTriggerKind.SwitchDomain => $"SwitchDomain({Domain} -> {NewDomain})",
        _ => Kind.ToString(),
    };
}
