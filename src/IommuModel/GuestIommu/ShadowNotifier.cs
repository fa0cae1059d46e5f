using Verify.Vfio;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// One IOMMU notifier vfio registered for an IOMMU section of a device's address space, with QEMU's shadow of what
/// it told vfio (VT-d's per-address-space IOVA tree). <see cref="Replay"/> and <see cref="Sync"/> turn guest
/// table contents into MAP/UNMAP on the device's container (docs/semantics.md 7, shadow sync and replay).
/// </summary>
/// <remarks>Not thread-safe; owned by one <see cref="DeviceAddressSpace"/>.</remarks>
public sealed class ShadowNotifier
{
    private readonly SortedDictionary<ulong, GuestLeaf> _shadow = [];
    private readonly RecordingBackend? _container;
    private readonly Func<GuestLeaf, DmaMapping?> _translate;
    private readonly ShadowSyncBug _bug;

    /// <summary>Creates a notifier for <paramref name="section"/> clipped to the guest address width.</summary>
    /// <param name="section">The IOMMU section's range.</param>
    /// <param name="addressWidth">The guest IOMMU's address width.</param>
    /// <param name="container">The device's container, or null when the notifier only keeps the shadow and a
    /// <see cref="UnifiedPlanner"/> issues the ioctls.</param>
    /// <param name="translate">vfio's <c>vfio_get_xlat_addr</c>: a guest leaf to the MAP it becomes, or null when its
    /// guest physical range is not RAM of one section (QEMU reports an error and maps nothing).</param>
    /// <param name="bug">A deliberate defect, or none.</param>
    internal ShadowNotifier(AddressRange section, int addressWidth, RecordingBackend? container, Func<GuestLeaf, DmaMapping?> translate, ShadowSyncBug bug)
    {
        Section = section;
        UInt128 limit = (UInt128)1 << addressWidth;
        Range = section.Start >= limit ? new AddressRange(section.Start, 0) : AddressRange.FromBounds(section.Start, UInt128.Min(section.End, limit));
        _container = container;
        _translate = Preconditions.CheckNotNull(translate, nameof(translate));
        _bug = bug;
    }

    /// <summary>The IOMMU section the notifier belongs to.</summary>
    public AddressRange Section { get; }

    /// <summary>The IOVAs the notifier covers: the section clipped to the address width (may be empty).</summary>
    public AddressRange Range { get; }

    /// <summary>What vfio was told is mapped, ascending.</summary>
    public IEnumerable<GuestLeaf> Shadow => _shadow.Values;

    /// <summary>
    /// Replay (<c>vtd_iommu_replay</c>): unmap the notifier's whole range in naturally aligned power-of-two pieces,
    /// forget the shadow, then walk <paramref name="table"/> (when the device is in a domain) and MAP every leaf
    /// inside the range.
    /// </summary>
    /// <param name="table">The domain's table, or null when the context names no domain.</param>
    public void Replay(GuestPageTable? table)
    {
        UnmapRange();
        if (table is null || _bug == ShadowSyncBug.SkipReplayWalk)
        {
            return;
        }

        foreach (var leaf in table.LeavesIn(Range).Where(l => Range.Contains(l.Iova)))
        {
            MapLeaf(leaf);
        }
    }

    /// <summary>
    /// Shadow sync after an invalidation of <paramref name="scope"/> (<c>vtd_sync_shadow_page_table</c>): walking in
    /// address order, a leaf identical to the shadow is skipped, a changed one is UNMAP then MAP, a shadow entry
    /// the guest no longer maps is unmapped.
    /// </summary>
    /// <param name="table">The domain's table, or null when the context names no domain (everything goes).</param>
    /// <param name="scope">The invalidated IOVAs.</param>
    public void Sync(GuestPageTable? table, AddressRange scope)
    {
        var range = scope.Intersect(Range);
        if (range.IsEmpty)
        {
            return;
        }

        var leaves = table is null ? [] : table.LeavesIn(range).Where(l => Range.Contains(l.Iova)).ToList();
        var wanted = leaves.ToHashSet();
        var stale = _shadow.Values.Where(s => s.Iova.Overlaps(range) && (!wanted.Contains(s) || _bug == ShadowSyncBug.RemapIdentical)).ToList();
        int next = 0;
        foreach (var leaf in leaves)
        {
            // Shadow entries before or under this leaf go first, so a changed translation is UNMAP then MAP.
            while (next < stale.Count && stale[next].Iova.Start < leaf.Iova.End)
            {
                UnmapLeaf(stale[next++]);
            }

            if (!_shadow.TryGetValue(leaf.Iova.Start, out var mapped) || mapped != leaf)
            {
                MapLeaf(leaf);
            }
        }

        while (next < stale.Count)
        {
            UnmapLeaf(stale[next++]);
        }
    }

    /// <summary>Forgets the shadow when the notifier is removed (vfio's big unmap of the section does the rest).</summary>
    public void Forget() => _shadow.Clear();

    private void MapLeaf(GuestLeaf leaf)
    {
        _shadow[leaf.Iova.Start] = leaf;
        if (_translate(leaf) is { } mapping)
        {
            Issue(c => c.Map(mapping));
        }
    }

    private void UnmapLeaf(GuestLeaf leaf)
    {
        _shadow.Remove(leaf.Iova.Start);
        Issue(c => c.Unmap(leaf.Iova));
    }

    // vtd_address_space_unmap: the range goes out as naturally aligned power-of-two pieces.
    private void UnmapRange()
    {
        _shadow.Clear();
        UInt128 at = Range.Start;
        while (at < Range.End)
        {
            UInt128 size = at == 0 ? (UInt128)1 << 63 : at & (~at + 1);
            while (at + size > Range.End)
            {
                size >>= 1;
            }

            ulong start = (ulong)at;
            Issue(c => c.Unmap(new AddressRange(start, size)));
            at += size;
        }
    }

    private void Issue(Func<RecordingBackend, DmaResult> call)
    {
        if (_container is null)
        {
            return;
        }

        var before = _container.Source;
        _container.Source = IoctlSource.Notifier;
        try
        {
            call(_container);
        }
        finally
        {
            _container.Source = before;
        }
    }
}
