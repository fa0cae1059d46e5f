using Verify.MemoryMap;
using Verify.IommuModel;
using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Generators.PageTables;

/// <summary>A page-table property found the model disagreeing with the definition; the message reads
/// like the scenario step that went wrong.</summary>
public sealed class PageTableViolation : Exception
{
    /// <summary>Creates the violation.</summary>
    /// <param name="message">What went wrong, naming the step and the variant.</param>
    public PageTableViolation(string message)
        : base(message)
    {
    }

    /// <summary>Creates the violation.</summary>
    public PageTableViolation()
    {
    }

    /// <summary>Creates the violation.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PageTableViolation(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>What one operation returned from the model and what the definition says it returns.</summary>
/// <param name="Model">The model's result as text.</param>
/// <param name="Expected">The oracle's result as text.</param>
/// <param name="UnmapReturned">For an unmap: what the model returned.</param>
/// <param name="Unmap">For an unmap: the oracle's account.</param>
public sealed record PageTableStep(string Model, string Expected, ulong UnmapReturned, OracleUnmap? Unmap)
{
    /// <summary>Whether model and definition agree on the result.</summary>
    public bool Agrees => Model == Expected;
}

/// <summary>
/// One variant of a scenario run side by side: the model (page table, gather, IOTLB) and the oracle
/// (leaf set, invalidation ledger). Each step applies the operation to the oracle first, so store
/// observers of the model see the "after" state of the definition.
/// </summary>
public sealed class PageTableRig
{
    /// <summary>Builds an empty model and oracle for <paramref name="options"/>.</summary>
    /// <param name="options">The variant.</param>
    public PageTableRig(PageTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Model = new IoPageTable(options);
        Oracle = new PageTableOracle(options);
        Ledger = new InvalidationLedger(options);
    }

    /// <summary>The variant.</summary>
    public PageTableOptions Options { get; }

    /// <summary>The model under test.</summary>
    public IoPageTable Model { get; }

    /// <summary>The reference.</summary>
    public PageTableOracle Oracle { get; }

    /// <summary>The gather every unmap of the scenario fills until a sync.</summary>
    public UnmapGather Gather { get; } = new();

    /// <summary>The reference command count.</summary>
    public InvalidationLedger Ledger { get; }

    /// <summary>Whether <see cref="Before"/> is kept (costs a copy of the leaves per step).</summary>
    public bool TrackBefore { get; init; }

    /// <summary>The oracle's leaves just before the current step (sorted), when <see cref="TrackBefore"/>.</summary>
    public SortedLeaves Before { get; private set; } = SortedLeaves.Empty;

    /// <summary>The operation being applied, or null between steps.</summary>
    public PageTableOp? Current { get; private set; }

    /// <summary>The short name of the variant for messages.</summary>
    public string Variant => $"split={Options.Split} invalidation={Options.Invalidation}";

    /// <summary>Applies one operation to oracle and model.</summary>
    /// <param name="op">The operation.</param>
    /// <returns>Both results.</returns>
    public PageTableStep Apply(PageTableOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (TrackBefore)
        {
            Before = new SortedLeaves(Oracle.Leaves);
        }

        Current = op;
        try
        {
            switch (op)
            {
                case MapOp m:
                    var expected = Oracle.Map(m.Iova, m.Pa, m.Size, m.Protection);
                    if (expected.Succeeded && Oracle.LastMapReplacedLive)
                    {
                        Ledger.MapReplacedLive(Oracle.LastMapFlush.Iova, Oracle.LastMapFlush.Size, Options.Format.Granule);
                    }

                    var got = Model.Map(m.Iova, m.Pa, m.Size, m.Protection);
                    return new PageTableStep(got.ToString(), expected.ToString(), 0, null);
                case UnmapOp u:
                    var unmap = Oracle.Unmap(u.Iova, u.Size);
                    Ledger.Gather(unmap.Removed);
                    ulong returned = Model.Unmap(u.Iova, u.Size, Gather);
                    return new PageTableStep($"returned {PageTableText.Size(returned)}", $"returned {PageTableText.Size(unmap.Returned)}", returned, unmap);
                case SyncOp:
                    Ledger.Sync();
                    Model.Sync(Gather);
                    return new PageTableStep("synced", "synced", 0, null);
                default:
                    Ledger.FlushQueue();
                    Model.FlushQueue();
                    return new PageTableStep("flushed", "flushed", 0, null);
            }
        }
        finally
        {
            Current = null;
        }
    }

    /// <summary>Applies <paramref name="op"/> and throws if model and definition return different things.</summary>
    /// <param name="step">1-based step number for the message.</param>
    /// <param name="op">The operation.</param>
    /// <returns>Both results.</returns>
    /// <exception cref="PageTableViolation">The results differ.</exception>
    public PageTableStep ApplyAgreeing(int step, PageTableOp op)
    {
        var result = Apply(op);
        if (!result.Agrees)
        {
            throw new PageTableViolation($"{Where(step, op)}: the model {result.Model} but the definition says {result.Expected}");
        }

        return result;
    }

    /// <summary>Compares every page's translation, model against oracle, exactly: both are affine between
    /// the union of their leaf boundaries, so one probe per boundary decides every page.</summary>
    /// <param name="step">1-based step number for the message.</param>
    /// <param name="op">The step's operation.</param>
    /// <exception cref="PageTableViolation">A page translates differently.</exception>
    public void CheckTranslations(int step, PageTableOp op)
    {
        var modelLeaves = Model.Leaves();
        var points = new SortedSet<ulong>();
        foreach (var leaf in modelLeaves)
        {
            points.Add(leaf.Iova);
            points.Add(leaf.Iova + leaf.Size);
        }

        foreach (var leaf in Oracle.Leaves)
        {
            points.Add(leaf.Iova);
            points.Add(leaf.End);
        }

        foreach (ulong point in points)
        {
            if (point >= Options.Format.AddressLimit)
            {
                continue;
            }

            var got = Model.Translate(point);
            var want = Oracle.Translate(point);
            if (got != want)
            {
                throw new PageTableViolation(
                    $"{Where(step, op)}: iova 0x{point:x} translates to {Show(got)} but the definition says {Show(want)}");
            }
        }
    }

    /// <summary>The device touches the first, a middle and the last smallest page of every leaf (up to 256
    /// leaves), filling the IOTLB and walk cache the way DMA would.</summary>
    public void TouchEveryLeaf()
    {
        ulong granule = Options.Format.Granule;
        foreach (var leaf in Oracle.Leaves.Take(256))
        {
            Model.Iotlb.Access(leaf.Iova);
            Model.Iotlb.Access(leaf.Iova + (leaf.Size / 2 / granule * granule));
            Model.Iotlb.Access(leaf.End - granule);
        }
    }

    /// <summary>Throws if any IOTLB entry translates a page other than the definition does, or any walk-cache
    /// entry points at a table page that is no longer linked there.</summary>
    /// <param name="when">Which point of the scenario, for the message.</param>
    /// <exception cref="PageTableViolation">A stale entry.</exception>
    public void CheckNoStaleEntries(string when)
    {
        foreach (var entry in Model.Iotlb.CachedLeaves.OrderBy(e => e.Iova))
        {
            var want = Oracle.Translate(entry.Iova);
            if (want != new Translation(entry.Pa, entry.Protection))
            {
                throw new PageTableViolation(
                    $"{when} under {Variant}: the IOTLB still translates iova 0x{entry.Iova:x} to 0x{entry.Pa:x} {PageTableText.Of(entry.Protection)} " +
                    $"(cached from a {PageTableText.Size(entry.LeafSize)} leaf) but the page {(want is null ? "is unmapped" : $"maps to {want}")}");
            }
        }

        // What a device actually gets on a hit (the cached page plus the offset in it), at both ends of the page:
        // the entries above can be right while the lookup that serves them is not.
        ulong granule = Options.Format.Granule;
        foreach (var entry in Model.Iotlb.CachedLeaves.OrderBy(e => e.Iova).ToList())
        {
            foreach (ulong offset in new[] { 0UL, granule - 1 })
            {
                var got = Model.Iotlb.Access(entry.Iova + offset);
                var want = Oracle.Translate(entry.Iova) is { } page ? new Translation(page.Pa + offset, page.Protection) : (Translation?)null;
                if (got != want)
                {
                    throw new PageTableViolation(
                        $"{when} under {Variant}: a device access at iova 0x{entry.Iova + offset:x} gets {(got?.ToString() ?? "a fault")} from the IOTLB, " +
                        $"but the page {(want is null ? "is unmapped" : $"maps it to {want}")}");
                }
            }
        }

        foreach (var walk in Model.Iotlb.CachedWalks)
        {
            int linked = Model.TablePageAt(walk.Level, walk.Iova);
            if (linked != walk.TablePage)
            {
                throw new PageTableViolation(
                    $"{when} under {Variant}: the walk cache still points level {walk.Level} at iova 0x{walk.Iova:x} to table page {walk.TablePage}, " +
                    $"but {(linked < 0 ? "no table is linked there" : $"table page {linked} is")}");
            }
        }
    }

    /// <summary>Names a step for a message: number, operation and variant.</summary>
    /// <param name="step">1-based step.</param>
    /// <param name="op">The operation.</param>
    /// <returns>Text like <c>step 2 (unmap iova=0x1000 size=4K) under split=Refuse invalidation=Range</c>.</returns>
    public string Where(int step, PageTableOp op) => $"step {step} ({op}) under {Variant}";

    /// <summary>Prints a translation or "no translation".</summary>
    /// <param name="translation">The translation.</param>
    /// <returns>The text.</returns>
    public static string Show(Translation? translation) => translation is { } t ? t.ToString() : "no translation";
}

/// <summary>Oracle leaves sorted by IOVA, for fast lookups of one state (before or after an update).</summary>
public sealed class SortedLeaves
{
    private readonly OracleLeaf[] _leaves;
    private readonly ulong[] _starts;

    /// <summary>Sorts <paramref name="leaves"/>.</summary>
    /// <param name="leaves">Disjoint leaves.</param>
    public SortedLeaves(IEnumerable<OracleLeaf> leaves)
    {
        _leaves = [.. leaves.OrderBy(l => l.Iova)];
        _starts = [.. _leaves.Select(l => l.Iova)];
    }

    /// <summary>No leaves.</summary>
    public static SortedLeaves Empty { get; } = new([]);

    /// <summary>Where <paramref name="address"/> leads in this state.</summary>
    /// <param name="address">An IOVA.</param>
    /// <returns>The translation or null.</returns>
    public Translation? Translate(ulong address)
    {
        int i = Array.BinarySearch(_starts, address);
        i = i >= 0 ? i : ~i - 1;
        return i >= 0 && _leaves[i].Contains(address)
            ? new Translation(_leaves[i].Pa + (address - _leaves[i].Iova), _leaves[i].Protection)
            : null;
    }

    /// <summary>Leaf starts and ends inside <c>[from, to)</c>.</summary>
    /// <param name="from">First address.</param>
    /// <param name="to">One past the last address.</param>
    /// <returns>The boundaries.</returns>
    public IEnumerable<ulong> BoundariesIn(ulong from, UInt128 to)
    {
        int i = Array.BinarySearch(_starts, from);
        i = Math.Max(0, i >= 0 ? i : ~i - 1);
        for (; i < _leaves.Length && _leaves[i].Iova < to; i++)
        {
            if (_leaves[i].Iova >= from)
            {
                yield return _leaves[i].Iova;
            }

            if (_leaves[i].End >= from && _leaves[i].End < to)
            {
                yield return _leaves[i].End;
            }
        }
    }
}
