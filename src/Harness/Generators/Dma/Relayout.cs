using System.Collections.Immutable;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Generators.Dma;

/// <summary>One step of a re-layout that is meant to keep every DMA translation (DL-03).</summary>
/// <param name="Kind">Split a range, merge neighbours, or change a dirty mask.</param>
/// <param name="Index">Which range (modulo the view's count).</param>
/// <param name="Fraction">Where to split, in 1/16ths of the range, rounded down to 64 KiB when that keeps both pieces.</param>
public sealed record RelayoutStep(RelayoutKind Kind, int Index, int Fraction)
{
    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        RelayoutKind.Split => $"split range {Index} at {Fraction}/16 (second piece unmergeable)",
        RelayoutKind.MergeAll => "merge every same-region neighbour (A + B -> A')",
        _ => $"toggle dirty logging of range {Index}",
    };
}

/// <summary>What a <see cref="RelayoutStep"/> does.</summary>
public enum RelayoutKind
{
    /// <summary>Split one range in two contiguous pieces of the same region.</summary>
    Split,

    /// <summary>Merge every run of same-region, contiguous-offset, same-attribute neighbours, ignoring dirty and unmergeable.</summary>
    MergeAll,

    /// <summary>Flip a range's dirty-log mask.</summary>
    ToggleDirty,
}

/// <summary>A sequence of translation-keeping changes of a view.</summary>
/// <param name="Steps">The steps.</param>
public sealed record Relayout(ImmutableArray<RelayoutStep> Steps)
{
    /// <summary>The view after every step.</summary>
    /// <param name="view">A view.</param>
    /// <returns>The re-laid-out view.</returns>
    public FlatView Apply(FlatView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var ranges = view.Ranges.ToList();
        foreach (var step in Steps)
        {
            if (ranges.Count == 0)
            {
                break;
            }

            int i = step.Index % ranges.Count;
            var r = ranges[i];
            switch (step.Kind)
            {
                case RelayoutKind.Split:
                    UInt128 at = r.Range.Size * (ulong)step.Fraction / 16;
                    UInt128 aligned = at / 0x1_0000 * 0x1_0000;
                    at = aligned > 0 ? aligned : at / 0x1000 * 0x1000;
                    if (at > 0 && at < r.Range.Size)
                    {
                        var cut = r.Range.Start + (ulong)at;
                        ranges[i] = r with { Range = AddressRange.FromBounds(r.Range.Start, cut) };
                        ranges.Insert(i + 1, r with { Range = AddressRange.FromBounds(cut, r.Range.End), OffsetInRegion = r.OffsetInRegion + (ulong)at, Unmergeable = true });
                    }

                    break;
                case RelayoutKind.MergeAll:
                    for (int k = ranges.Count - 1; k > 0; k--)
                    {
                        var (a, b) = (ranges[k - 1], ranges[k]);
                        if (a.Region == b.Region && a.Kind == b.Kind && a.Range.End == b.Range.Start && (UInt128)a.OffsetInRegion + a.Range.Size == b.OffsetInRegion
                            && a.ReadOnly == b.ReadOnly && a.NonVolatile == b.NonVolatile && a.RomdMode == b.RomdMode)
                        {
                            ranges[k - 1] = a with { Range = AddressRange.FromBounds(a.Range.Start, b.Range.End), Unmergeable = false, DirtyLogMask = 0 };
                            ranges.RemoveAt(k);
                        }
                    }

                    break;
                default:
                    ranges[i] = r with { DirtyLogMask = (byte)(r.DirtyLogMask ^ 1) };
                    break;
            }
        }

        return FlatView.Create(ranges);
    }

    /// <summary>Fewer steps.</summary>
    /// <returns>Candidates.</returns>
    public IEnumerable<Relayout> Shrink()
    {
        for (int i = 0; i < Steps.Length; i++)
        {
            yield return new Relayout(Steps.RemoveAt(i));
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "re-layout: " + string.Join("; ", Steps);
}
