using Verify.Harness.Running;
using Verify.Harness.Suites;
using Verify.IommuModel.Lifecycle;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Variants;

/// <summary>
/// Every deliberately broken variant with the property expected to catch it. Adding one is one line here: a name,
/// the area, the bug, and the property built over the variant (a bug switch such as <see cref="Type1Bug"/> or
/// <see cref="IotlbFlushBug"/> where the model offers one, else a re-implementation from this folder).
/// </summary>
public static class BrokenVariants
{
    /// <summary>The variants, grouped by area. A new <see cref="Type1Bug"/> is one line:
    /// <c>Type1("type1-...", Type1Bug.X, "T1-01", "what it breaks")</c>.</summary>
    public static IReadOnlyList<BrokenVariant> All { get; } =
    [
        Render("render-priority-ties-to-oldest", RenderVariants.PriorityTiesToTheOldest, "FV-01"),
        Render("render-alias-offset-ignored", RenderVariants.AliasOffsetIgnored, "FV-01"),
        Render("render-disabled-regions-shown", RenderVariants.DisabledRegionsRendered, "FV-01"),
        Render("render-read-only-not-inherited", RenderVariants.ReadOnlyNotInherited, "FV-06"),
        Render("merge-forgets-offset", MergeRuleVariants.OffsetCheckForgotten, "FV-03"),
        Render("merge-forgets-read-only", MergeRuleVariants.ReadOnlyForgotten, "FV-03"),
        Render("merge-unmergeable-right-neighbour", MergeRuleVariants.UnmergeableRightNeighbourMerged, "FV-04"),
        Diff("diff-adds-before-deletes", TopologyDiffVariants.AddsBeforeDeletes, "TD-03"),
        Diff("diff-drops-log-stop", TopologyDiffVariants.LogStopDropped, "TD-02"),
        Diff("diff-attribute-change-kept", TopologyDiffVariants.AttributeChangeKept, "TD-01"),
        Diff("replay-skips-last-range", TopologyDiffVariants.ReplaySkipsLastRange, "TD-05"),
        Listener("listener-ignores-history", ListenerFlaw.IgnoresHistory, "DL-04"),
        Listener("listener-no-replay-on-hotplug", ListenerFlaw.NoReplayOnHotplug, "DL-05"),
        Listener("listener-compares-ranges", ListenerFlaw.ComparesRanges, "DL-04"),
        PageTable("page-table-invalidates-requested-range-only", IotlbFlushBug.RequestedRangeOnly,
            "the IOTLB sync invalidates only the range the unmap asked for, not the larger page it removed"),
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
        Lifecycle("lifecycle-switch-domain-unhandled-when-detached", LifecycleVariants.SwitchDomainWhileDetachedUnhandled,
            "the table loses the row refusing SwitchDomain for a detached device"),
        Lifecycle("lifecycle-remapping-off-drops-pins", LifecycleVariants.RemappingOffInPassthroughDropsPins,
            "remapping off in passthrough releases the mdev pins"),
    ];

    private static BrokenVariant Render(string name, MemoryMapImplementation variant, string id) =>
        new(name, "FlatView", variant.Name, id, id switch
        {
            "FV-01" => () => FlatViewProperties.RenderMatchesOraclePainting(variant),
            "FV-03" => () => FlatViewProperties.SimplifyPreservesTranslation(variant),
            "FV-04" => () => FlatViewProperties.SimplifyIsIdempotentAndComplete(variant),
            "FV-06" => () => LayoutRenderProperties.RealisticLayoutsRender(variant),
            _ => throw new ArgumentOutOfRangeException(nameof(id), id, "expected FV-01, FV-03, FV-04 or FV-06"),
        });

    private static BrokenVariant Diff(string name, MemoryMapImplementation variant, string id) =>
        new(name, "Topology", variant.Name, id, () => TopologyProperties.Of(id, variant));

    private static BrokenVariant Listener(string name, ListenerFlaw flaw, string id)
    {
        var listener = new DmaListenerImplementation($"coalescing listener that {flaw}", c => FlawedCoalescingListener.Execute(c, flaw));
        return new(name, "DmaListener", listener.Name, id, () => DmaListenerProperties.Of(id, listener));
    }

    private static BrokenVariant PageTable(string name, IotlbFlushBug bug, string breaks) =>
        new(name, "PageTable", breaks, "PT-05", () => PageTableProperties.NoStaleTranslationAfterSync(bug));

    // T1-01 compares every call's result with the oracle, T1-04 watches pins against reachability.
    private static BrokenVariant Type1(string name, Type1Bug bug, string id, string breaks) =>
        new(name, "Type1", breaks, id, () => Type1Properties.WithBug(id, bug));

    private static BrokenVariant Lifecycle(string name, DeviceLifecycle table, string breaks) =>
        new(name, "Lifecycle", breaks, "VI-03", () => LifecycleProperties.Definitions[0] with { Build = () => LifecycleProperties.OnlyPermittedAndEveryPairHandled(table) });
}
