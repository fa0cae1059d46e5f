using Verify.Harness.Implementations;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Lifecycle;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Variants;

/// <summary>
/// Every deliberately broken variant with the property expected to catch it. Adding one is one line here: a name, the
/// area, the bug, and the implementation that carries it (a bug switch where the model offers one, else a
/// re-implementation from this folder).
/// </summary>
public static class BrokenVariants
{
    /// <summary>The variants, grouped by area.</summary>
    public static IReadOnlyList<BrokenVariant> All { get; } =
    [
        MemoryMap("render-priority-ties-to-oldest", "FlatView", RenderVariants.PriorityTiesToTheOldest, "FV-01"),
        MemoryMap("render-alias-offset-ignored", "FlatView", RenderVariants.AliasOffsetIgnored, "FV-01"),
        MemoryMap("render-disabled-regions-shown", "FlatView", RenderVariants.DisabledRegionsRendered, "FV-01"),
        MemoryMap("render-read-only-not-inherited", "FlatView", RenderVariants.ReadOnlyNotInherited, "FV-06"),
        MemoryMap("render-priority-from-current-placement", "FlatView", RenderVariants.PriorityFromCurrentPlacement, "FV-01"),
        MemoryMap("tree-move-keeps-sibling-order", "FlatView", TreeVariants.MoveKeepsSiblingOrder, "FV-01"),
        MemoryMap("merge-forgets-offset", "FlatView", MergeRuleVariants.OffsetCheckForgotten, "FV-03"),
        MemoryMap("merge-forgets-read-only", "FlatView", MergeRuleVariants.ReadOnlyForgotten, "FV-03"),
        MemoryMap("merge-unmergeable-right-neighbour", "FlatView", MergeRuleVariants.UnmergeableRightNeighbourMerged, "FV-04"),
        MemoryMap("diff-adds-before-deletes", "Topology", TopologyDiffVariants.AddsBeforeDeletes, "TD-03"),
        MemoryMap("diff-drops-log-stop", "Topology", TopologyDiffVariants.LogStopDropped, "TD-02"),
        MemoryMap("diff-attribute-change-kept", "Topology", TopologyDiffVariants.AttributeChangeKept, "TD-01"),
        MemoryMap("replay-skips-last-range", "Topology", TopologyDiffVariants.ReplaySkipsLastRange, "TD-05"),
        Listener("listener-ignores-history", ListenerFlaw.IgnoresHistory, "DL-04"),
        Listener("listener-no-replay-on-hotplug", ListenerFlaw.NoReplayOnHotplug, "DL-05"),
        Listener("listener-compares-ranges", ListenerFlaw.ComparesRanges, "DL-04"),
        PageTable("page-table-invalidates-requested-range-only", PageTableBug.RequestedRangeOnly,
            "the IOTLB sync invalidates only the range the unmap asked for, not the larger page it removed"),
        PageTable("iotlb-hit-drops-offset", PageTableBug.HitDropsOffset,
            "an IOTLB hit gives the cached page without the offset in it (the entries are right, the lookup is not)"),
        Type1("type1-bisects-under-v2", Type1Bug.BisectUnderV2, "T1-01",
            "a v2 container splits a mapping an UNMAP cuts into, instead of failing with EINVAL"),
        Type1("type1-unpins-before-iotlb-sync", Type1Bug.UnpinBeforeSync, "T1-04",
            "UNMAP unpins the pages before the IOTLB sync, so the device can still reach freed memory"),
        Type1("type1-charges-reserved-pfns", Type1Bug.ChargesReservedPfns, "T1-03",
            "accounting charges reserved pfns (another device's BAR) to locked_vm"),
        Type1("type1-pin-without-reference", Type1Bug.PinWithoutReference, "T1-06",
            "a second mdev pin of a page takes no reference, so the first unpin unpins a page still in use"),
        Type1("type1-unmap-ignores-external-pins", Type1Bug.UnmapIgnoresExternalPins, "T1-06",
            "UNMAP removes a mapping with mdev pins without calling the device back"),
        Type1("type1-migrates-pinned-pages", Type1Bug.MigratesPinnedPages, "T1-07",
            "the host migrates a pinned page, so DMA reaches the page's old home"),
        ShadowSync("shadow-sync-skips-replay-walk", ShadowSyncBug.SkipReplayWalk, "VI-02",
            "replay unmaps the notifier's range but does not walk the guest tables: a device joining a populated domain sees nothing"),
        ShadowSync("shadow-sync-remaps-identical", ShadowSyncBug.RemapIdentical, "VI-01",
            "a re-walk unmaps and maps again every mapping it finds, identical ones too"),
        ShadowSync("unified-planner-drops-shadow", ShadowSyncBug.PlannerDropsShadow, "VI-01",
            "the unified planner leaves the guest's shadow mappings out of a device's desired map"),
        Lifecycle("lifecycle-switch-domain-unhandled-when-detached", LifecycleVariants.SwitchDomainWhileDetachedUnhandled,
            "the table loses the row refusing SwitchDomain for a detached device"),
        Lifecycle("lifecycle-remapping-off-drops-pins", LifecycleVariants.RemappingOffInPassthroughDropsPins,
            "remapping off in passthrough releases the mdev pins"),
    ];

    private static ImplementationUnderTest Model(string name) => ImplementationUnderTest.Model with { Name = name };

    private static BrokenVariant MemoryMap(string name, string area, MemoryMapImplementation variant, string id) =>
        new(name, area, variant.Name, id, Model(variant.Name) with { MemoryMap = variant });

    private static BrokenVariant Listener(string name, ListenerFlaw flaw, string id) =>
        new(name, "DmaListener", $"a coalescing listener that {flaw}", id, Model($"coalescing listener that {flaw}") with { CoalescingListener = FlawedCoalescingListener.Factory(flaw) });

    private static BrokenVariant PageTable(string name, PageTableBug bug, string breaks) =>
        new(name, "PageTable", breaks, "PT-05", Model($"page table with {bug}") with { PageTables = o => o with { Bug = bug } });

    private static BrokenVariant Type1(string name, Type1Bug bug, string id, string breaks) =>
        new(name, "Type1", breaks, id, Model($"type1 with {bug}") with { Type1Bug = bug });

    private static BrokenVariant ShadowSync(string name, ShadowSyncBug bug, string id, string breaks) =>
        new(name, "GuestIommu", breaks, id, Model($"shadow sync with {bug}") with { ShadowSyncBug = bug });

    private static BrokenVariant Lifecycle(string name, DeviceLifecycle table, string breaks) =>
        new(name, "Lifecycle", breaks, "VI-03", Model("a broken life-cycle table") with { Lifecycle = table });
}
