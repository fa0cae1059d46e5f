using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;

namespace Verify.Vfio;

/// <summary>
/// QEMU's vfio listener as it is today (docs/semantics.md 2.4): one MAP of a section's host-page interior on
/// <c>region_add</c>, one UNMAP of the same interior on <c>region_del</c>, nothing on <c>region_nop</c>. An IOMMU
/// section registers a notifier instead of a MAP, and its <c>region_del</c> removes the notifier and then unmaps the
/// whole section's interior in one call. It keeps
/// no history, so del A, del B, add A' unmaps and maps again every page of A and B.
/// </summary>
/// <remarks>Calls go out as the callbacks arrive, not at commit. Results are recorded in <see cref="Log"/>, never
/// thrown (QEMU aborts on a failed MAP; the model keeps going so a property can report it). Not thread-safe.</remarks>
public sealed class NaiveVfioListener : IMemoryListener
{
    private static readonly AddressRange LowerHalf = new(0, (UInt128)1 << 63);
    private static readonly AddressRange UpperHalf = new(1UL << 63, (UInt128)1 << 63);
    private readonly DmaOptions _options;
    private readonly ViewEdits _edits = new();
    private readonly List<IDmaBackend> _containers = [];
    private readonly List<NaiveCall> _log = [];
    private readonly List<IDmaBackend> _logTargets = [];
    private readonly List<NaiveNotifier> _notifiers = [];

    /// <summary>Creates a listener that has seen the empty view and drives no container.</summary>
    /// <param name="options">The vfio section rules.</param>
    public NaiveVfioListener(DmaOptions options) => _options = Preconditions.CheckNotNull(options, nameof(options));

    /// <summary>The view the listener has been told about (<see cref="FlatView.Empty"/> at first).</summary>
    public FlatView View { get; private set; } = FlatView.Empty;

    /// <summary>The containers, in the order they were added.</summary>
    public IReadOnlyList<IDmaBackend> Containers => _containers;

    /// <summary>Every ioctl issued, oldest first.</summary>
    public IReadOnlyList<NaiveCall> Log => _log;

    /// <summary>Every IOMMU notifier registered or removed, oldest first.</summary>
    public IReadOnlyList<NaiveNotifier> Notifiers => _notifiers;

    /// <summary>The current transaction number: each <see cref="Begin"/> and each <see cref="AddContainer"/> opens a new one.</summary>
    public int Transaction { get; private set; }

    /// <summary>Adds a container and replays the current view into it: one MAP per mapped section, ascending
    /// (a new transaction number).</summary>
    /// <param name="container">A container not yet added.</param>
    public void AddContainer(IDmaBackend container)
    {
        ArgumentNullException.ThrowIfNull(container);
        Preconditions.CheckState(!_containers.Contains(container), $"container {container.Name} is already added");
        _containers.Add(container);
        Transaction++;
        foreach (var range in View.Ranges)
        {
            Added(container, range);
        }
    }

    /// <summary>The ioctls <paramref name="container"/> received in transaction <paramref name="transaction"/>.</summary>
    /// <param name="container">A container.</param>
    /// <param name="transaction">A transaction number.</param>
    /// <returns>The operations in order.</returns>
    public IReadOnlyList<DmaOperation> OperationsOf(IDmaBackend container, int transaction)
    {
        ArgumentNullException.ThrowIfNull(container);
        var ops = new List<DmaOperation>();
        for (int i = 0; i < _log.Count; i++)
        {
            if (_log[i].Transaction == transaction && ReferenceEquals(_logTargets[i], container))
            {
                ops.Add(_log[i].Operation);
            }
        }

        return ops;
    }

    /// <inheritdoc/>
    public void Begin()
    {
        _edits.Clear();
        Transaction++;
    }

    /// <inheritdoc/>
    public void RegionAdd(in FlatRange range)
    {
        _edits.Add(range);
        foreach (var container in _containers)
        {
            Added(container, range);
        }
    }

    /// <inheritdoc/>
    public void RegionDel(in FlatRange range)
    {
        _edits.Delete(range);
        var section = DmaSection.Of(range, _options);
        foreach (var container in _containers)
        {
            if (section.Skip == SectionSkipReason.Iommu)
            {
                // vfio_listener_region_del: the notifier goes first, then "the one big unmap below is adequate to
                // remove any individual page mappings in the IOMMU which might have been copied into VFIO" (its FIXME).
                _notifiers.Add(new NaiveNotifier(Transaction, container.Name, range, Registered: false));
            }

            if (section.Interior is { } iova)
            {
                Unmap(container, iova);
            }
        }
    }

    /// <summary><c>region_nop</c>: vfio has no handler; the listener only notes the range for its own view.</summary>
    /// <param name="range">The unchanged range.</param>
    public void RegionNop(in FlatRange range) => _edits.Keep(range);

    /// <inheritdoc/>
    public void Commit()
    {
        View = _edits.ApplyTo(View);
        _edits.Clear();
    }

    private void Added(IDmaBackend container, in FlatRange range)
    {
        var section = DmaSection.Of(range, _options);
        if (section.Skip == SectionSkipReason.Iommu)
        {
            _notifiers.Add(new NaiveNotifier(Transaction, container.Name, range, Registered: true));
        }
        else if (section.Mapping is { } m)
        {
            Issue(container, new DmaOperation.Map(m));
        }
    }

    private void Unmap(IDmaBackend container, AddressRange iova)
    {
        if (iova.Size != AddressSpace.End)
        {
            Issue(container, new DmaOperation.Unmap(iova));
        }
        else if (container.Traits.SupportsUnmapAll)
        {
            // "vfio: Don't issue full 2^64 unmap": unmap-all, or two halves on kernels without it.
            Issue(container, new DmaOperation.UnmapAll());
        }
        else
        {
            Issue(container, new DmaOperation.Unmap(LowerHalf));
            Issue(container, new DmaOperation.Unmap(UpperHalf));
        }
    }

    private void Issue(IDmaBackend container, DmaOperation op)
    {
        var result = op switch
        {
            DmaOperation.Map m => container.Map(m.Mapping),
            DmaOperation.Unmap u => container.Unmap(u.Iova),
            _ => container.UnmapAll(),
        };
        _log.Add(new NaiveCall(Transaction, container.Name, op, result));
        _logTargets.Add(container);
    }
}
