namespace Verify.Harness.Variants;

/// <summary>The one way a <see cref="FlawedCoalescingListener"/> departs from the library's coalescing listener.</summary>
public enum ListenerFlaw
{
    /// <summary>Plans from the previous view's DMA map, as if the container held one mapping per section, instead
    /// of from the mappings it actually created there: QEMU's listener plans from the view diff alone, which breaks
    /// as soon as it has coalesced or kept mappings across a re-layout. DL-04 sees it as collateral the history does
    /// not force (the seed thread's PAM flip unmapping all of RAM below 4 GiB); DL-01 sees wrong translations in
    /// about two runs of three.</summary>
    IgnoresHistory,

    /// <summary>A hot-plugged container gets no replay of the current map (a vfio container added after the
    /// address space is populated must be replayed by <c>memory_listener_register</c>).</summary>
    NoReplayOnHotplug,

    /// <summary>Compares ranges instead of translations: every live mapping whose IOVA range is not exactly one the
    /// new map has is unmapped and mapped again, even when every page still translates the same (QEMU's
    /// region_del/region_add pair for A + B -&gt; A').</summary>
    ComparesRanges,
}
