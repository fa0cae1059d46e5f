using Verify.IommuModel.PageTables;

namespace Verify.Harness.Implementations;

/// <summary>
/// A user's page table and the rules it claims to follow: every page table a scenario creates gets this format, split
/// policy and live-leaf policy (strict flush, no table-page budget), and the oracle judges it by them.
/// </summary>
/// <param name="Format">The table format (docs/semantics.md 4.1).</param>
/// <param name="Split">What an unmap inside a larger leaf does (4.4).</param>
/// <param name="LiveLeaf">What a map over a live leaf does (4.3).</param>
/// <param name="Allocate">Allocates an empty domain of the format (<c>domain_alloc</c>).</param>
public sealed record PageTableImplementation(PageTableFormat Format, SplitPolicy Split, LiveLeafPolicy LiveLeaf, Func<PageTableFormat, IIommuDomain> Allocate)
{
    /// <summary>What installing a large leaf where a sub-table hangs does (4.3); the older drivers' default.</summary>
    public SubTablePolicy SubTable { get; init; } = SubTablePolicy.DestroySubTable;

    /// <summary>The options every generated or replayed table is given: the claimed rules in place of the scenario's.</summary>
    /// <param name="scenario">The options the scenario asked for.</param>
    /// <returns>The claimed format and policies (sub-table included); the scenario's invalidation mode and threshold (the core's, not the
    /// driver's business); strict flush; no table-page budget.</returns>
    public PageTableOptions Constrain(PageTableOptions scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return scenario with { Format = Format, Split = Split, LiveLeaf = LiveLeaf, SubTable = SubTable, Flush = FlushMode.Strict, MaxTablePages = null };
    }
}
