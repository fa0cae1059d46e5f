using System.Collections.Immutable;
using System.Text;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>A list of flat ranges that may or may not form a valid view (for FV-02 and the simplify properties).</summary>
/// <param name="Grid">Where the ranges live.</param>
/// <param name="Ranges">The ranges, in the order given to <see cref="FlatView.Create"/>.</param>
public sealed record FlatRangesCase(Grid Grid, ImmutableArray<FlatRange> Ranges)
{
    /// <summary>Smaller variants: fewer ranges, simpler attributes.</summary>
    /// <returns>Candidates.</returns>
    public IEnumerable<FlatRangesCase> Shrink()
    {
        for (int i = 0; i < Ranges.Length; i++)
        {
            yield return this with { Ranges = Ranges.RemoveAt(i) };
        }

        for (int i = 0; i < Ranges.Length; i++)
        {
            var r = Ranges[i];
            if (r.ReadOnly) { yield return this with { Ranges = Ranges.SetItem(i, r with { ReadOnly = false }) }; }
            if (r.NonVolatile) { yield return this with { Ranges = Ranges.SetItem(i, r with { NonVolatile = false }) }; }
            if (r.Unmergeable) { yield return this with { Ranges = Ranges.SetItem(i, r with { Unmergeable = false }) }; }
            if (r.DirtyLogMask != 0) { yield return this with { Ranges = Ranges.SetItem(i, r with { DirtyLogMask = 0 }) }; }
            if (!r.RomdMode) { yield return this with { Ranges = Ranges.SetItem(i, r with { RomdMode = true }) }; }
            if (r.Range.Size > Grid.Unit)
            {
                yield return this with { Ranges = Ranges.SetItem(i, r with { Range = new AddressRange(r.Range.Start, Grid.Unit) }) };
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder().AppendLine(Grid.ToString());
        for (int i = 0; i < Ranges.Length; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"range {i}: {Ranges[i]}").AppendLine();
        }

        return text.ToString().TrimEnd();
    }
}
