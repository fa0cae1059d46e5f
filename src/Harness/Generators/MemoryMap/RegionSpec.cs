using System.Globalization;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>A region of a generated tree, sizes and offsets in grid units.</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Kind">Kind.</param>
/// <param name="SizeUnits">Size in units; ignored when <paramref name="WholeSpace"/>.</param>
/// <param name="WholeSpace">Whether the region is 2^64 long.</param>
/// <param name="AliasTarget">For aliases: the target's name.</param>
/// <param name="AliasOffsetUnits">For aliases: offset in units (added to the window start when the target is whole-space).</param>
/// <param name="Enabled">Enabled flag.</param>
/// <param name="ReadOnly">Read-only flag.</param>
/// <param name="NonVolatile">Non-volatile flag.</param>
/// <param name="Unmergeable">Unmergeable flag.</param>
/// <param name="DirtyLogMask">Dirty-log mask.</param>
/// <param name="RomdMode">ROM mode (ROM devices).</param>
public sealed record RegionSpec(
    string Name,
    RegionKind Kind,
    ulong SizeUnits,
    bool WholeSpace = false,
    string? AliasTarget = null,
    ulong AliasOffsetUnits = 0,
    bool Enabled = true,
    bool ReadOnly = false,
    bool NonVolatile = false,
    bool Unmergeable = false,
    byte DirtyLogMask = 0,
    bool RomdMode = true)
{
    /// <summary>Builds the region on <paramref name="grid"/>.</summary>
    /// <param name="grid">The case's grid.</param>
    /// <param name="targetIsWholeSpace">Whether the alias target is 2^64 long.</param>
    /// <returns>The region.</returns>
    public MemoryRegion Build(Grid grid, bool targetIsWholeSpace)
    {
        ArgumentNullException.ThrowIfNull(grid);
        UInt128 size = WholeSpace ? AddressSpace.End : (UInt128)SizeUnits * grid.Unit;
        return new MemoryRegion(Name, Kind, size)
        {
            AliasTarget = AliasTarget,
            AliasOffset = Kind == RegionKind.Alias ? (targetIsWholeSpace ? grid.At(AliasOffsetUnits) : AliasOffsetUnits * grid.Unit) : 0,
            Enabled = Enabled,
            ReadOnly = ReadOnly,
            NonVolatile = NonVolatile,
            Unmergeable = Unmergeable,
            DirtyLogMask = DirtyLogMask,
            RomdMode = RomdMode,
        };
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"define {Kind.ToString().ToLowerInvariant()} {Name} size={(WholeSpace ? "2^64" : SizeUnits + "u")}");
        if (Kind == RegionKind.Alias) { text += string.Create(CultureInfo.InvariantCulture, $" -> {AliasTarget} @{AliasOffsetUnits}u"); }
        if (!Enabled) { text += " disabled"; }
        if (ReadOnly) { text += " readonly"; }
        if (NonVolatile) { text += " nonvolatile"; }
        if (Unmergeable) { text += " unmergeable"; }
        if (DirtyLogMask != 0) { text += string.Create(CultureInfo.InvariantCulture, $" dirty=0x{DirtyLogMask:x}"); }
        if (!RomdMode) { text += " romd-off"; }
        return text;
    }
}
