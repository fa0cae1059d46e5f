namespace Verify.IommuModel.PageTables;

/// <summary>What an unmap does when it covers only part of a leaf (docs/semantics.md 4.4).</summary>
public enum SplitPolicy
{
    /// <summary>ARM LPAE up to Linux 6.12: swap the block for a table of smaller leaves minus the
    /// unmapped part with one store; return what was asked.</summary>
    Split,

    /// <summary>ARM LPAE from 6.13, generic_pt in the middle of a leaf: return 0, change nothing.</summary>
    Refuse,

    /// <summary>Legacy Intel, AMD, generic_pt at the start of a leaf: remove the whole leaf and return its size.</summary>
    WholeLeaf,
}

/// <summary>What a map does when a page it installs meets a live leaf (same size or larger).</summary>
public enum LiveLeafPolicy
{
    /// <summary>ARM io-pgtable: fail with <see cref="Errno.EEXIST"/>; everything mapped so far is rolled back.</summary>
    Eexist,

    /// <summary>generic_pt: fail with <see cref="Errno.EADDRINUSE"/>; everything mapped so far is rolled back.</summary>
    Eaddrinuse,

    /// <summary>Legacy Intel: warn, keep the old PTE, go on with the rest; the call succeeds.</summary>
    KeepOld,

    /// <summary>Legacy AMD: silently overwrite (a larger live leaf is replaced by a table, losing the rest of it).</summary>
    Overwrite,
}

/// <summary>What a map does when a leaf it installs would replace a sub-table.</summary>
public enum SubTablePolicy
{
    /// <summary>Old ARM/Intel/AMD: destroy the sub-table and every leaf under it.</summary>
    DestroySubTable,

    /// <summary>generic_pt: replace the sub-table only if it holds no live leaf, else fail with <see cref="Errno.EADDRINUSE"/>.</summary>
    EmptyOnly,
}

/// <summary>How a sync turns a gather into IOTLB invalidation commands (docs/semantics.md 4.5).</summary>
public enum InvalidationMode
{
    /// <summary>One command per leaf of the gather's granule.</summary>
    PerLeaf,

    /// <summary>SMMUv3.2 range invalidation: one command per gathered range.</summary>
    Range,

    /// <summary>Per leaf, but one whole-domain flush when a gather needs at least
    /// <see cref="PageTableOptions.WholeDomainThreshold"/> commands.</summary>
    WholeDomainAboveThreshold,
}

/// <summary>When invalidation happens.</summary>
public enum FlushMode
{
    /// <summary>Every sync invalidates the gathered range before it returns.</summary>
    Strict,

    /// <summary>Flush queue: a sync only queues the range; one whole-domain flush empties the queue later.</summary>
    Lazy,
}

/// <summary>Deliberate page-table and IOTLB bugs, kept in the model so the harness can show its properties catch
/// them; internal, reachable only from the harness (a user's options never carry one).</summary>
internal enum PageTableBug
{
    /// <summary>No bug.</summary>
    None,

    /// <summary>CVE-2026-31735: when an unmap removes a leaf larger than asked, only the requested range
    /// goes into the gather, so the over-unmapped tail stays cached.</summary>
    RequestedRangeOnly,

    /// <summary>An IOTLB hit returns the cached page without the offset inside it: the cached entries are right,
    /// what a device gets from them is not.</summary>
    HitDropsOffset,
}
