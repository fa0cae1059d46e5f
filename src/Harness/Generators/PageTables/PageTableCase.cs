using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Harness.Generators.PageTables;

/// <summary>One step of a page-table scenario; prints itself as a script line.</summary>
public abstract record PageTableOp;

/// <summary><c>map iova=0x200000 pa=0x40200000 size=2M rw</c>.</summary>
/// <param name="Iova">First IOVA.</param>
/// <param name="Pa">First physical address.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Protection">Rights.</param>
public sealed record MapOp(ulong Iova, ulong Pa, ulong Size, Protection Protection) : PageTableOp
{
    /// <summary>One past the last IOVA.</summary>
    public UInt128 End => (UInt128)Iova + Size;

    /// <inheritdoc/>
    public override string ToString() =>
        $"map iova=0x{Iova:x} pa=0x{Pa:x} size={PageTableText.Size(Size)} {PageTableText.Of(Protection)}";
}

/// <summary><c>unmap iova=0x201000 size=4K</c>.</summary>
/// <param name="Iova">First IOVA.</param>
/// <param name="Size">Bytes asked.</param>
public sealed record UnmapOp(ulong Iova, ulong Size) : PageTableOp
{
    /// <inheritdoc/>
    public override string ToString() => $"unmap iova=0x{Iova:x} size={PageTableText.Size(Size)}";
}

/// <summary><c>sync</c>: the IOTLB sync of the gather the unmaps since the last sync filled.</summary>
public sealed record SyncOp : PageTableOp
{
    /// <inheritdoc/>
    public override string ToString() => "sync";
}

/// <summary><c>flush-queue</c>: lazy mode's deferred whole-domain flush (a no-op when strict or empty).</summary>
public sealed record FlushQueueOp : PageTableOp
{
    /// <inheritdoc/>
    public override string ToString() => "flush-queue";
}

/// <summary>
/// A page-table scenario: the options, the split policies and invalidation modes to run it under
/// (every one by default; shrinking narrows them to the failing one) and the operations.
/// </summary>
/// <param name="Options">Format, live-leaf and sub-table policies, strict or lazy, table-page limit, bug.</param>
/// <param name="Splits">Split policies to run; never empty.</param>
/// <param name="Modes">Invalidation modes to run; never empty.</param>
/// <param name="Ops">The operations in order.</param>
public sealed partial record PageTableCase(
    PageTableOptions Options,
    ImmutableArray<SplitPolicy> Splits,
    ImmutableArray<InvalidationMode> Modes,
    ImmutableArray<PageTableOp> Ops)
{
    /// <summary>Every variant the case runs under: <see cref="Options"/> with each split policy and mode.</summary>
    public IEnumerable<PageTableOptions> Variants =>
        from split in Splits from mode in Modes select Options with { Split = split, Invalidation = mode };

    /// <summary>The maps of the case.</summary>
    public IEnumerable<MapOp> Maps => Ops.OfType<MapOp>();

    /// <summary>The unmaps of the case.</summary>
    public IEnumerable<UnmapOp> Unmaps => Ops.OfType<UnmapOp>();

    /// <inheritdoc/>
    public bool Equals(PageTableCase? other) =>
        other is not null && Options == other.Options && Splits.SequenceEqual(other.Splits)
        && Modes.SequenceEqual(other.Modes) && Ops.SequenceEqual(other.Ops);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Options, Ops.Length, Splits.Length, Modes.Length);

    /// <summary>The scenario: options on the first line, then one numbered line per operation.</summary>
    /// <returns>The script.</returns>
    public override string ToString()
    {
        var o = Options;
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{o.Format.Name} split={string.Join('|', Splits)} invalidation={string.Join('|', Modes)}")
            .Append(CultureInfo.InvariantCulture, $" live-leaf={o.LiveLeaf} sub-table={o.SubTable} {o.Flush.ToString().ToLowerInvariant()}");
        if (Modes.Contains(InvalidationMode.WholeDomainAboveThreshold))
        {
            text.Append(CultureInfo.InvariantCulture, $" threshold={o.WholeDomainThreshold}");
        }

        if (o.MaxTablePages is { } max)
        {
            text.Append(CultureInfo.InvariantCulture, $" max-table-pages={max}");
        }


        for (int i = 0; i < Ops.Length; i++)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"{i + 1}. {Ops[i]}");
        }

        return text.ToString();
    }
}
