using System.Collections.Immutable;
using static Verify.IommuModel.Lifecycle.DeviceStateKind;
using static Verify.IommuModel.Lifecycle.DeviceTriggerKind;

namespace Verify.IommuModel.Lifecycle;

public sealed partial class DeviceLifecycle
{
    /// <summary>The row applies whatever the state's details and the trigger's parameters.</summary>
    public static TransitionGuard Always { get; } = new("always", "no condition", (_, _) => true);

    /// <summary>The guest's remapping switch is off (meaningful for an empty slot).</summary>
    public static TransitionGuard RemappingIsOff { get; } = new("remapping off", "the guest's global DMA remapping is off", (s, _) => !s.RemappingOn);

    /// <summary>The guest's remapping switch is on (meaningful for an empty slot).</summary>
    public static TransitionGuard RemappingIsOn { get; } = new("remapping on", "the guest's global DMA remapping is on", (s, _) => s.RemappingOn);

    /// <summary>An mdev vendor driver holds pins.</summary>
    public static TransitionGuard HasPins { get; } = new("pinned", "an mdev vendor driver holds pinned pages", (s, _) => s.HasPins);

    /// <summary>No mdev pins are held.</summary>
    public static TransitionGuard NoPins { get; } = new("no pins", "no mdev vendor driver holds pinned pages", (s, _) => !s.HasPins);

    /// <summary>The switch names a domain the device is not in.</summary>
    public static TransitionGuard LeavesOtherDomain { get; } = new("not from current domain",
        "the switch leaves a domain the device is not attached to", (s, t) => t.Domain != s.Domain);

    /// <summary>The switch's two domains are the same.</summary>
    public static TransitionGuard SameDomain { get; } = new("same domain", "the switch enters the domain it leaves", (_, t) => t.NewDomain == t.Domain);

    /// <summary>The switch leaves the current domain for a different one.</summary>
    public static TransitionGuard DifferentDomain { get; } = new("different domain",
        "the switch leaves the device's domain for another one", (s, t) => t.Domain == s.Domain && t.NewDomain != t.Domain);

    // Static initializers run in text order within a file but in no promised order across the partial files, so the
    // table and the instance over it sit here, after the guards they use.

    /// <summary>The transition table QEMU's behaviour gives (rows grouped by state kind, in declaration order).</summary>
    public static ImmutableArray<TransitionRow> Table { get; } = BuildTable();

    /// <summary>The life cycle over <see cref="Table"/>.</summary>
    public static DeviceLifecycle Qemu { get; } = new(Table);

    private const string NotPlugged = "no device in the slot";
    private const string AlreadyPlugged = "a device is already in the slot";
    private const string NotAttached = "the device is in no domain; entering one is SetContextDomain";
    private const string ContextUnread = "remapping is off: QEMU does not read the context entry, the model programs it after remapping is on";
    private const string NoPinsHeld = "no pins to release";
    private const string NodmarRemoved = "the nodmar alias is removed from the device: vfio unmaps all guest RAM; the unmap notifier drops any pins";
    private const string NodmarToEmptyIommu = "two transactions: nodmar alias off (vfio unmaps all guest RAM, pins dropped), IOMMU region on (replay, context none: nothing)";
    private const string DomainToNodmar = "two transactions: IOMMU region off (vfio unmaps the domain's mappings, pins dropped), nodmar alias on (maps all guest RAM)";
    private const string EmptyIommuToNodmar = "two transactions: IOMMU region off (nothing mapped), nodmar alias on (vfio maps all guest RAM)";
    private const string AlreadyOn = "remapping is already on";
    private const string AlreadyOff = "remapping is already off";
    private const string GlobalSwitch = "global switch; the empty slot has no address space to move";

    // Why Unplug is allowed while an mdev holds pins: removing the device closes it, vfio unmaps its container and
    // the DMA-unmap notifier makes the vendor driver unpin, and QEMU never lets pins hold a guest's unplug hostage.
    // Why remapping on from RemappingOff lands in Detached: the model carries no latent context entry while the
    // context table is not read; a guest that enables remapping programs the entry afterwards (docs/semantics.md 7).
    private static ImmutableArray<TransitionRow> BuildTable() =>
    [
        Go(Unplugged, Hotplug, RemappingIsOff, RemappingOff, PinEffect.Release,
            "the device joins the nodmar alias: the vfio listener maps all guest RAM"),
        Go(Unplugged, Hotplug, RemappingIsOn, Detached, PinEffect.Release,
            "the device joins its IOMMU region with context none: replay unmaps the notifier range and maps nothing"),
        No(Unplugged, Unplug, Always, NotPlugged),
        Go(Unplugged, DmaRemappingOn, RemappingIsOff, Unplugged, PinEffect.Release, GlobalSwitch),
        No(Unplugged, DmaRemappingOn, RemappingIsOn, AlreadyOn),
        Go(Unplugged, DmaRemappingOff, RemappingIsOn, Unplugged, PinEffect.Release, GlobalSwitch),
        No(Unplugged, DmaRemappingOff, RemappingIsOff, AlreadyOff),
        .. Refusals(Unplugged, NotPlugged, SetContextNone, SetContextPassthrough, SetContextDomain, SwitchDomain, MdevPin, MdevUnpin),

        No(RemappingOff, Hotplug, Always, AlreadyPlugged),
        Go(RemappingOff, Unplug, Always, Unplugged, PinEffect.Release, NodmarRemoved),
        Go(RemappingOff, DmaRemappingOn, Always, Detached, PinEffect.Release, NodmarToEmptyIommu),
        No(RemappingOff, DmaRemappingOff, Always, AlreadyOff),
        .. Refusals(RemappingOff, ContextUnread, SetContextNone, SetContextPassthrough, SetContextDomain),
        No(RemappingOff, SwitchDomain, Always, NotAttached),
        .. PinRows(RemappingOff, "IOVA = guest physical address"),

        No(Passthrough, Hotplug, Always, AlreadyPlugged),
        Go(Passthrough, Unplug, Always, Unplugged, PinEffect.Release, NodmarRemoved),
        No(Passthrough, DmaRemappingOn, Always, AlreadyOn),
        Go(Passthrough, DmaRemappingOff, Always, RemappingOff, PinEffect.Keep,
            "no address-space change: passthrough already uses the nodmar alias, so no ioctl and the pins stay"),
        Go(Passthrough, SetContextNone, Always, Detached, PinEffect.Release, NodmarToEmptyIommu),
        No(Passthrough, SetContextPassthrough, Always, "the context entry is already passthrough"),
        Go(Passthrough, SetContextDomain, Always, AttachedToDomain, PinEffect.Release,
            "two transactions: nodmar alias off (vfio unmaps all guest RAM, pins dropped), IOMMU region on (replay maps the domain's mappings)"),
        No(Passthrough, SwitchDomain, Always, NotAttached),
        .. PinRows(Passthrough, "IOVA = guest physical address"),

        No(AttachedToDomain, Hotplug, Always, AlreadyPlugged),
        Go(AttachedToDomain, Unplug, Always, Unplugged, PinEffect.Release,
            "the IOMMU notifier is removed: vfio unmaps the domain's mappings; the unmap notifier drops any pins"),
        No(AttachedToDomain, DmaRemappingOn, Always, AlreadyOn),
        Go(AttachedToDomain, DmaRemappingOff, Always, RemappingOff, PinEffect.Release, DomainToNodmar),
        Go(AttachedToDomain, SetContextNone, Always, Detached, PinEffect.Release,
            "context invalidation: QEMU unmaps the whole notifier range and replays nothing (pins dropped)"),
        Go(AttachedToDomain, SetContextPassthrough, Always, Passthrough, PinEffect.Release, DomainToNodmar),
        No(AttachedToDomain, SetContextDomain, Always, "already in a domain: moving to another one is SwitchDomain"),
        No(AttachedToDomain, SwitchDomain, LeavesOtherDomain, "the switch leaves a domain the device is not in"),
        No(AttachedToDomain, SwitchDomain, SameDomain, "a domain switch needs a different domain"),
        Go(AttachedToDomain, SwitchDomain, DifferentDomain, AttachedToDomain, PinEffect.Release,
            "context invalidation: unmap the whole notifier range (pins dropped), then replay the new domain's tables: a window without DMA"),
        .. PinRows(AttachedToDomain, "IOVAs the domain maps"),

        No(Detached, Hotplug, Always, AlreadyPlugged),
        Go(Detached, Unplug, Always, Unplugged, PinEffect.Release, "the IOMMU notifier is removed; nothing was mapped"),
        No(Detached, DmaRemappingOn, Always, AlreadyOn),
        Go(Detached, DmaRemappingOff, Always, RemappingOff, PinEffect.Release, EmptyIommuToNodmar),
        No(Detached, SetContextNone, Always, "the context entry is already none"),
        Go(Detached, SetContextPassthrough, Always, Passthrough, PinEffect.Release, EmptyIommuToNodmar),
        Go(Detached, SetContextDomain, Always, AttachedToDomain, PinEffect.Release,
            "context invalidation (caching mode): replay maps the domain's existing mappings; a pre-populated domain works only through replay"),
        No(Detached, SwitchDomain, Always, NotAttached),
        No(Detached, MdevPin, Always, "context none: no IOVA is mapped, so vfio_pin_pages fails"),
        No(Detached, MdevUnpin, Always, "context none: nothing can have been pinned"),
    ];

    /// <summary>One unguarded refusal row per trigger, all for the same reason.</summary>
    private static TransitionRow[] Refusals(DeviceStateKind from, string reason, params DeviceTriggerKind[] triggers) =>
        [.. triggers.Select(t => No(from, t, Always, reason))];

    /// <summary>The mdev rows of a kind whose address space has DMA mappings: pin (again) at will, unpin only what is pinned.</summary>
    private static TransitionRow[] PinRows(DeviceStateKind kind, string where) =>
    [
        Go(kind, MdevPin, Always, kind, PinEffect.Pin, $"the vendor driver pins pages at {where}"),
        Go(kind, MdevUnpin, HasPins, kind, PinEffect.Release, "the vendor driver unpins its pages"),
        No(kind, MdevUnpin, NoPins, NoPinsHeld),
    ];

    private static TransitionRow Go(
        DeviceStateKind from, DeviceTriggerKind trigger, TransitionGuard guard, DeviceStateKind to, PinEffect pins, string effect) =>
        new(from, trigger, guard, to, pins, effect);

    private static TransitionRow No(DeviceStateKind from, DeviceTriggerKind trigger, TransitionGuard guard, string reason) =>
        new(from, trigger, guard, null, PinEffect.Keep, reason);
}
