using Verify.MemoryMap.Regions;

namespace Verify.Oracle.MemoryMap;

/// <summary>What one address shows, as the oracle computes it: the terminal region, the offset in it and the
/// attributes collected on the way down.</summary>
/// <param name="Region">Terminal region name.</param>
/// <param name="Kind">Its kind as a flat range carries it (a ROM is read-only RAM).</param>
/// <param name="Offset">Offset of the address in the region.</param>
/// <param name="ReadOnly">OR of read-only on the path.</param>
/// <param name="NonVolatile">OR of non-volatile on the path.</param>
/// <param name="Unmergeable">OR of unmergeable on the path.</param>
/// <param name="RomdMode">ROM mode of a ROM device (true for other kinds).</param>
/// <param name="DirtyLogMask">The terminal region's dirty mask.</param>
/// <param name="Priority">Priority of the placement the terminal region was reached through (0 through an alias).</param>
public sealed record PaintedPage(
    string Region, RegionKind Kind, ulong Offset, bool ReadOnly, bool NonVolatile, bool Unmergeable, bool RomdMode, byte DirtyLogMask, int Priority)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Kind} {Region} @0x{Offset:x}{(ReadOnly ? " ro" : "")}{(NonVolatile ? " nv" : "")}{(Unmergeable ? " unmergeable" : "")}{(RomdMode ? "" : " romd-off")}{(DirtyLogMask != 0 ? $" dirty=0x{DirtyLogMask:x}" : "")} prio={Priority}";
}
