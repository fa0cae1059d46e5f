namespace Verify.IommuModel.GuestIommu;

/// <summary>How the address space of a device is switched between the nodmar alias and the IOMMU region.</summary>
public enum RemappingSwitch
{
    /// <summary>QEMU's <c>vtd_switch_address_space</c>: two transactions, the old side disabled first, so vfio sees
    /// everything unmapped at a transaction boundary before the other side is added.</summary>
    TwoTransactions,

    /// <summary>Both regions flipped in one transaction: the listeners see deletes and adds of one diff.</summary>
    Atomic,
}

/// <summary>Which vfio listener handles the RAM sections of a device address space (docs/semantics.md 8, listener).</summary>
public enum RamListenerKind
{
    /// <summary>QEMU today: <see cref="Verify.Vfio.NaiveVfioListener"/>, one MAP per add, one UNMAP per delete.</summary>
    QemuToday,

    /// <summary><see cref="Verify.Vfio.CoalescingListener"/>: plans at commit from its history, skips
    /// functionally equal re-layouts.</summary>
    Coalescing,

    /// <summary>No per-side listener: one <see cref="Verify.Vfio.DmaPlanner"/> per device plans its container
    /// from its history to the device's whole desired translation (RAM sections and shadow mappings together) at
    /// every point QEMU acts (<see cref="UnifiedPlanner"/>).</summary>
    Unified,
}

/// <summary>A deliberate defect of the shadow sync, so tests can show the properties catch it.</summary>
internal enum ShadowSyncBug
{
    /// <summary>None: QEMU's behaviour.</summary>
    None,

    /// <summary>Replay unmaps the notifier's range but does not walk the tables: a device joining a pre-populated
    /// domain sees nothing.</summary>
    SkipReplayWalk,

    /// <summary>The identical-map check is skipped: a re-walk unmaps and maps again every mapping it finds.</summary>
    RemapIdentical,

    /// <summary>Under <see cref="RamListenerKind.Unified"/> the planner's desired map leaves the shadow mappings out: a
    /// device behind the IOMMU sees nothing the guest mapped. No effect with the other listeners.</summary>
    PlannerDropsShadow,
}

/// <summary>The guest IOMMU variant (docs/semantics.md 7).</summary>
public sealed record GuestIommuOptions
{
    private readonly int _addressWidth = 48;

    /// <summary>QEMU's VT-d with caching mode, two-transaction switch, 48-bit address width.</summary>
    public static GuestIommuOptions Default { get; } = new();

    /// <summary>Whose rules apply to guest mappings.</summary>
    public GuestIommuKind Kind { get; init; } = GuestIommuKind.VtD;

    /// <summary>VT-d caching mode (CM=1): required for device assignment.</summary>
    public bool CachingMode { get; init; } = true;

    /// <summary>How the remapping switch is done.</summary>
    public RemappingSwitch Switch { get; init; } = RemappingSwitch.TwoTransactions;

    /// <summary>The vfio listener for RAM sections; IOMMU sections always go through the notifier, which under
    /// <see cref="RamListenerKind.Unified"/> only keeps the shadow and leaves the ioctls to the unified planner.</summary>
    public RamListenerKind Listener { get; init; } = RamListenerKind.QemuToday;

    /// <summary>Guest IOVA width in bits (QEMU's <c>aw-bits</c>); notifier ranges are clipped to it.</summary>
    public int AddressWidth
    {
        get => _addressWidth;
        init
        {
            Preconditions.CheckArgumentRange(value is >= 32 and <= 57, value, "should be in [32, 57]", nameof(AddressWidth));
            _addressWidth = value;
        }
    }

    /// <summary>A deliberate defect, or <see cref="ShadowSyncBug.None"/>.</summary>
    internal ShadowSyncBug Bug { get; init; } = ShadowSyncBug.None;

    /// <summary>The interrupt window every device address space overlays at priority 64 (<c>[0xfee00000, 0xfef00000)</c>):
    /// DMA there is an interrupt, never memory.</summary>
    public static AddressRange InterruptWindow { get; } = new(0xfee0_0000, 0x10_0000);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Kind}{(Kind == GuestIommuKind.VtD ? CachingMode ? " CM=1" : " CM=0" : "")} switch={Switch} listener={Listener} aw={AddressWidth}{(Bug == ShadowSyncBug.None ? "" : $" bug={Bug}")}";
}
