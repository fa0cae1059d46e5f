using System.Globalization;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary>Creates a standalone IOMMU page table with its IOTLB (SEMANTICS.md 4), outside any container, so the
/// page-table rules (page-size choice, partial-leaf unmap, invalidation) can be told as a scenario.</summary>
/// <param name="Name">The table's name.</param>
/// <param name="Options">Format and policies.</param>
public sealed record PageTableStep(string Name, PageTableOptions Options) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "page-table";

    /// <inheritdoc/>
    public override string ToString() => $"page-table {Name}: {Options}";
}

/// <summary><c>iommu_map</c> on a standalone page table: all or nothing.</summary>
/// <param name="Table">The table.</param>
/// <param name="Iova">First IOVA.</param>
/// <param name="Paddr">First physical address.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Protection">Rights.</param>
public sealed record PageTableMapStep(string Table, ulong Iova, ulong Paddr, ulong Size, Protection Protection) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "pt-map";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Table}: map iova=0x{Iova:x} pa=0x{Paddr:x} size={PageTableText.Size(Size)} {PageTableText.Of(Protection)}");
}

/// <summary><c>iommu_unmap_fast</c> on a standalone page table: removed ranges go into the table's pending gather,
/// which only a <see cref="PageTableSyncStep"/> sends to the IOTLB.</summary>
/// <param name="Table">The table.</param>
/// <param name="Iova">First IOVA.</param>
/// <param name="Size">Bytes asked.</param>
public sealed record PageTableUnmapStep(string Table, ulong Iova, ulong Size) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "pt-unmap";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Table}: unmap iova=0x{Iova:x} size={PageTableText.Size(Size)}");
}

/// <summary><c>iommu_iotlb_sync</c>: the table's pending gather becomes invalidation commands (strict) or is queued
/// (lazy).</summary>
/// <param name="Table">The table.</param>
public sealed record PageTableSyncStep(string Table) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "pt-sync";

    /// <inheritdoc/>
    public override string ToString() => $"{Table}: sync";
}

/// <summary>Lazy mode's deferred whole-domain flush of everything queued.</summary>
/// <param name="Table">The table.</param>
public sealed record PageTableFlushStep(string Table) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "pt-flush";

    /// <inheritdoc/>
    public override string ToString() => $"{Table}: flush queue";
}

/// <summary>A device access through the table's IOTLB: a hit answers from the cache, a miss walks the table and
/// caches what it read. This is how a scenario puts entries in the IOTLB that an unmap must invalidate.</summary>
/// <param name="Table">The table.</param>
/// <param name="Iova">The address the device uses.</param>
public sealed record PageTableAccessStep(string Table, ulong Iova) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "pt-access";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Table}: device access 0x{Iova:x}");
}
