using Verify.Vfio;

namespace Verify.IommuModel.GuestIommu;

/// <summary>
/// A device's container as QEMU holds it: every call passes through to the real backend and is recorded with the
/// current transaction and its source, so properties can check legality and measure windows per container.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class RecordingBackend : IDmaBackend
{
    private readonly List<IoctlRecord> _log = [];
    private readonly Func<int> _transaction;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The container model.</param>
    /// <param name="transaction">Reads the current transaction number.</param>
    public RecordingBackend(IDmaBackend inner, Func<int> transaction)
    {
        Inner = Preconditions.CheckNotNull(inner, nameof(inner));
        _transaction = Preconditions.CheckNotNull(transaction, nameof(transaction));
    }

    /// <summary>The wrapped container.</summary>
    public IDmaBackend Inner { get; }

    /// <summary>Who the next calls come from; the notifier sets it around its calls.</summary>
    public IoctlSource Source { get; set; } = IoctlSource.Listener;

    /// <summary>Every call so far, oldest first.</summary>
    public IReadOnlyList<IoctlRecord> Log => _log;

    /// <inheritdoc/>
    public string Name => Inner.Name;

    /// <inheritdoc/>
    public DmaBackendTraits Traits => Inner.Traits;

    /// <inheritdoc/>
    public IReadOnlyList<DmaMapping> Mappings => Inner.Mappings;

    /// <inheritdoc/>
    public DmaResult Map(in DmaMapping mapping) => Record(new DmaOperation.Map(mapping), Inner.Map(mapping));

    /// <inheritdoc/>
    public DmaResult Unmap(AddressRange iova) => Record(new DmaOperation.Unmap(iova), Inner.Unmap(iova));

    /// <inheritdoc/>
    public DmaResult UnmapAll() => Record(new DmaOperation.UnmapAll(), Inner.UnmapAll());

    private DmaResult Record(DmaOperation operation, DmaResult result)
    {
        _log.Add(new IoctlRecord(_transaction(), Source, operation, result));
        return result;
    }
}
