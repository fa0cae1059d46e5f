using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// One assigned device's address space under the vIOMMU: its region tree over system memory (<see cref="DeviceRegions"/>),
/// its <see cref="MemoryTopology"/>, vfio's listener on it (<see cref="NaiveVfioListener"/> as QEMU today, or the
/// <see cref="CoalescingListener"/>, for RAM sections, plus the IOMMU notifiers registered for IOMMU sections) and its own
/// container, as QEMU makes one per address space. Under <see cref="RamListenerKind.Unified"/> neither side issues
/// ioctls: the <see cref="UnifiedPlanner"/> plans both together after every commit, replay and sync.
/// </summary>
/// <remarks>Created and driven by <see cref="Viommu"/>; not thread-safe.</remarks>
public sealed class DeviceAddressSpace
{
    private readonly Viommu _owner;
    private readonly List<ShadowNotifier> _notifiers = [];
    private readonly VfioListener _listener;
    private RegionTree? _baseSystem;
    private RegionTree? _base;

    internal DeviceAddressSpace(Viommu owner, string name, IDmaBackend container)
    {
        _owner = owner;
        Regions = new DeviceRegions(name);
        Container = new RecordingBackend(container, () => owner.Transaction);
        if (owner.Options.Listener == RamListenerKind.Unified)
        {
            // A coalescing listener without containers only follows the view and its RAM mappings for the planner.
            RamListener = new CoalescingListener(owner.DmaOptions, PlanOptions.Default);
            Planner = new UnifiedPlanner(Container);
        }
        else if (owner.Options.Listener == RamListenerKind.Coalescing)
        {
            var coalescing = new CoalescingListener(owner.DmaOptions, PlanOptions.Default);
            coalescing.AddContainer(Container);
            RamListener = coalescing;
        }
        else
        {
            var naive = new NaiveVfioListener(owner.DmaOptions);
            naive.AddContainer(Container);
            RamListener = naive;
        }

        UsesIommu = owner.UseIommu(ContextEntry.None);
        Topology = new MemoryTopology(Tree().Render());
        _listener = new VfioListener(this);
        Topology.Register(_listener);
    }

    /// <summary>The device's name.</summary>
    public string Name => Regions.Device;

    /// <summary>The device's region names.</summary>
    public DeviceRegions Regions { get; }

    /// <summary>The device's context entry.</summary>
    public ContextEntry Context { get; internal set; }

    /// <summary>Whether the IOMMU region (rather than the nodmar alias) is the enabled side.</summary>
    public bool UsesIommu { get; private set; }

    /// <summary>The device's address space as its listeners see it.</summary>
    public MemoryTopology Topology { get; }

    /// <summary>The vfio listener for the RAM sections (<see cref="GuestIommuOptions.Listener"/>).</summary>
    public IMemoryListener RamListener { get; }

    /// <summary>The planner of the device's whole translation under <see cref="RamListenerKind.Unified"/>, else null.</summary>
    public UnifiedPlanner? Planner { get; }

    /// <summary>The device's container, with every call recorded.</summary>
    public RecordingBackend Container { get; }

    /// <summary>The IOMMU notifiers currently registered, ascending by section.</summary>
    public IReadOnlyList<ShadowNotifier> Notifiers => _notifiers;

    /// <summary>The device's region tree for the current system memory and switch state.</summary>
    /// <returns>The tree.</returns>
    public RegionTree Tree() => TreeFor(!UsesIommu, UsesIommu);

    internal void Recommit() => Commit(Tree());

    /// <summary>Moves the device to the side <paramref name="useIommu"/> names, as <paramref name="style"/> says.</summary>
    internal void Switch(bool useIommu, RemappingSwitch style)
    {
        if (useIommu == UsesIommu)
        {
            return;
        }

        if (style == RemappingSwitch.TwoTransactions)
        {
            // vtd_switch_address_space: "Turn off first then on the other", each a transaction of its own.
            Commit(TreeFor(false, false));
            _owner.NextTransaction();
        }

        UsesIommu = useIommu;
        Commit(Tree());
    }

    /// <summary>Replays every notifier (context change that keeps the IOMMU side).</summary>
    internal void ReplayAll()
    {
        foreach (var n in _notifiers)
        {
            n.Replay(_owner.TableFor(Context));
        }

        PlanWhole();
    }

    /// <summary>Shadow-syncs every notifier over <paramref name="scope"/>.</summary>
    internal void SyncAll(AddressRange scope)
    {
        foreach (var n in _notifiers)
        {
            n.Sync(_owner.TableFor(Context), scope);
        }

        PlanWhole();
    }

    /// <summary>Unplug: the listener goes, which deletes every section (RAM unmapped, notifiers removed with their big unmap).</summary>
    internal void Remove() => Topology.Unregister(_listener);

    private void Commit(RegionTree tree) => Topology.Commit(tree.Render());

    // The unified planner's point of action: the RAM sections' mappings and every notifier's shadow, translated now.
    private void PlanWhole()
    {
        if (Planner is null)
        {
            return;
        }

        var ram = ((CoalescingListener)RamListener).Map.Mappings;
        var shadow = _owner.Options.Bug == ShadowSyncBug.PlannerDropsShadow ? []
            : _notifiers.SelectMany(n => n.Shadow).Select(_owner.TranslateLeaf).OfType<DmaMapping>();
        Planner.PlanAndApply(UnifiedPlanner.Desired(ram, shadow));
    }

    private RegionTree TreeFor(bool nodmar, bool iommu)
    {
        if (!ReferenceEquals(_baseSystem, _owner.SystemTree))
        {
            _baseSystem = _owner.SystemTree;
            _base = Regions.Build(_owner.SystemTree, nodmar: false, iommu: false);
        }

        return _base!.Update(Regions.Nodmar, r => r with { Enabled = nodmar }).Update(Regions.Iommu, r => r with { Enabled = iommu });
    }

    /// <summary>vfio's listener on this address space: RAM sections go to the RAM listener as they are; an IOMMU section
    /// registers a notifier, which replays, and its removal unregisters it and unmaps the whole section.</summary>
    /// <remarks>Removals act at once (before any add of the transaction); registrations wait until the RAM listener
    /// has committed, so a listener that plans at commit has unmapped its RAM before the replay maps guest leaves into
    /// the same IOVAs. For QEMU's listener, which acts as callbacks arrive, this is the same order.</remarks>
    private sealed class VfioListener(DeviceAddressSpace space) : IMemoryListener
    {
        private readonly List<AddressRange> _added = [];

        public void Begin()
        {
            _added.Clear();
            space.RamListener.Begin();
        }

        public void RegionDel(in FlatRange range)
        {
            if (DmaSection.Of(range, space._owner.DmaOptions).Skip != SectionSkipReason.Iommu)
            {
                space.RamListener.RegionDel(range);
                return;
            }

            var section = range.Range;
            var notifier = space._notifiers.Find(n => n.Section == section);
            if (notifier is not null)
            {
                notifier.Forget();
                space._notifiers.Remove(notifier);
            }

            var container = space.Container;
            container.Source = IoctlSource.Notifier;
            if (space.RamListener is NaiveVfioListener)
            {
                // QEMU's listener issues the one big unmap itself, after the notifier is gone.
                space.RamListener.RegionDel(range);
            }
            else
            {
                space.RamListener.RegionDel(range);
                if (notifier is not null && space.Planner is null)
                {
                    // vfio_listener_region_del: "the one big unmap below is adequate to remove any individual page mappings".
                    if (section.Size == AddressSpace.End)
                    {
                        container.UnmapAll();
                    }
                    else
                    {
                        container.Unmap(section);
                    }
                }
            }

            container.Source = IoctlSource.Listener;
        }

        public void RegionNop(in FlatRange range) => space.RamListener.RegionNop(range);

        public void LogStart(in FlatRange range, byte oldMask, byte newMask) => space.RamListener.LogStart(range, oldMask, newMask);

        public void LogStop(in FlatRange range, byte oldMask, byte newMask) => space.RamListener.LogStop(range, oldMask, newMask);

        public void RegionAdd(in FlatRange range)
        {
            space.RamListener.RegionAdd(range);
            if (DmaSection.Of(range, space._owner.DmaOptions).Skip == SectionSkipReason.Iommu)
            {
                _added.Add(range.Range);
            }
        }

        public void Commit()
        {
            space.RamListener.Commit();
            foreach (var section in _added)
            {
                var notifier = new ShadowNotifier(section, space._owner.Options.AddressWidth, space.Planner is null ? space.Container : null, space._owner.TranslateLeaf, space._owner.Options.Bug);
                space._notifiers.Add(notifier);
                space._notifiers.Sort((a, b) => a.Section.Start.CompareTo(b.Section.Start));
                notifier.Replay(space._owner.TableFor(space.Context));
            }

            _added.Clear();
            space.PlanWhole();
        }
    }
}
