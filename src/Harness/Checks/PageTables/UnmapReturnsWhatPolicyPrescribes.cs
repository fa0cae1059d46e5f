using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>PT-04 (docs/semantics.md 4.4): an unmap returns what the table's split policy prescribes for the leaf it starts
/// in (Split: the bytes asked, the leaf cut around them; Refuse: 0 for a partial leaf; WholeLeaf: the whole leaf),
/// for every partial-leaf case: at the start, the end, or the middle of a leaf.</summary>
public sealed class UnmapReturnsWhatPolicyPrescribes() : ScenarioCheck("PT-04")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.PageTables.Step is not { Kind: PageTableOperationKind.Unmap, OracleUnmap: { } expected } op)
        {
            return;
        }

        var t = op.Table;
        context.Expect(op.ModelUnmapped == expected.Returned,
            () => $"{t.Name}: unmap of {PageTableText.Size(op.Size)} at 0x{op.Iova:x} returned {PageTableText.Size(op.ModelUnmapped ?? 0)}, the {t.Options.Split} policy gives {PageTableText.Size(expected.Returned)}");
        if (op.LeafAtStart is { } l && op.Size % t.Options.Format.Granule == 0)
        {
            context.Label(op.Iova == l.Iova && op.Size >= l.Size ? "whole leaves"
                : op.Iova == l.Iova ? "partial at start of leaf"
                : (UInt128)op.Iova + op.Size == l.End ? "partial at end of leaf"
                : "partial in middle of leaf");
        }
    }
}
