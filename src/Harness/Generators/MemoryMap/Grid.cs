using System.Globalization;
using Verify.MemoryMap;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>
/// Where a generated case lives: addresses are whole multiples of <see cref="Unit"/> inside a window of
/// <see cref="Units"/> units starting at <see cref="WindowStart"/>. A window at the top of the space makes
/// ranges that end at 2^64; large units (1 GiB, 2^56) reach superpage and top-of-space boundaries while the
/// oracle only has to look at a few hundred points.
/// </summary>
/// <param name="Unit">Granule in bytes (a power of two).</param>
/// <param name="WindowStart">First address of the window, a multiple of <see cref="Unit"/>.</param>
/// <param name="Units">Window length in units.</param>
public sealed record Grid(ulong Unit, ulong WindowStart, int Units)
{
    /// <summary>End of the window (may be 2^64).</summary>
    public UInt128 WindowEnd => (UInt128)WindowStart + (UInt128)Unit * (ulong)Units;

    /// <summary>The absolute address of unit <paramref name="k"/> of the window.</summary>
    /// <param name="k">A unit index.</param>
    /// <returns>The address.</returns>
    public ulong At(ulong k) => WindowStart + (k * Unit);

    /// <summary>
    /// Points whose contents decide a view completely for cases built on this grid. Placements and sizes are at
    /// most one window long and children are clipped to their parents, so every boundary of a generated tree lies
    /// in <c>[WindowStart, WindowStart + 2 * window)</c> or at 0 or 2^64: every unit there is sampled (its first
    /// and last byte), plus the edges of the space.
    /// </summary>
    /// <returns>Distinct addresses, ascending.</returns>
    public SortedSet<ulong> SamplePoints()
    {
        var points = new SortedSet<ulong> { 0, ulong.MaxValue };
        for (int k = 0; k <= 2 * Units; k++)
        {
            UInt128 at = (UInt128)WindowStart + ((UInt128)Unit * (ulong)k);
            if (at >= AddressSpace.End)
            {
                break;
            }

            points.Add((ulong)at);
            points.Add((ulong)(at + Unit - 1 < AddressSpace.End ? at + Unit - 1 : AddressSpace.End - 1));
        }

        if (WindowStart > 0)
        {
            points.Add(WindowStart - 1);
        }

        return points;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"grid unit=0x{Unit:x} window={new AddressRange(WindowStart, (UInt128)Unit * (ulong)Units)} ({Units} units)");
}
