using System.Collections.Immutable;
using System.Globalization;

namespace Verify.MemoryMap.Regions;

/// <summary>
/// One memory region of a <see cref="RegionTree"/>: kind, size, flags, alias target and the
/// placements of its subregions. Immutable; the <c>With*</c> members return changed copies.
/// </summary>
/// <remarks>
/// Regions are identified by <see cref="Name"/> inside a tree, and a FlatRange identifies its terminal
/// region by name too (the only identity QEMU's <c>info mtree</c> text carries).
/// </remarks>
public sealed record MemoryRegion
{
    private readonly string _name = "";
    private readonly UInt128 _size;

    /// <summary>Creates a region.</summary>
    /// <param name="name">Non-empty name, unique in its tree.</param>
    /// <param name="kind">What the region is.</param>
    /// <param name="size">Size in bytes, at most 2^64.</param>
    public MemoryRegion(string name, RegionKind kind, UInt128 size)
    {
        Name = name;
        Kind = kind;
        Size = size;
    }

    /// <summary>The region's name; never empty, never a control character in it.</summary>
    public string Name
    {
        get => _name;
        init
        {
            ArgumentException.ThrowIfNullOrEmpty(value, nameof(Name));
            // A control character would print as nothing, or as a terminal escape, in every listing that names it,
            // and cannot round-trip through 'info mtree' text.
            int control = value.AsSpan().IndexOfAnyInRange('\0', '\x1f');
            if (control < 0)
            {
                control = value.AsSpan().IndexOfAnyInRange('\x7f', '\x9f');
            }

            if (control >= 0)
            {
                throw new ArgumentException($"region name should be printable; it has a control character (U+{(int)value[control]:X4}) at character {control + 1}", nameof(Name));
            }

            _name = value;
        }
    }

    /// <summary>What the region is.</summary>
    public RegionKind Kind { get; init; }

    /// <summary>Size in bytes, at most 2^64 (see <see cref="AddressSpace.SizeFromQemu"/>).</summary>
    public UInt128 Size
    {
        get => _size;
        init
        {
            Preconditions.CheckArgumentRange(value <= AddressSpace.End, value, "should be at most 2^64", paramName: nameof(Size));
            _size = value;
        }
    }

    /// <summary>A disabled region renders nothing, subregions included.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>OR-ed down the path: anything reached through a read-only region renders read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>OR-ed down the path.</summary>
    public bool NonVolatile { get; init; }

    /// <summary>OR-ed down the path; an unmergeable range never merges with a neighbour.</summary>
    public bool Unmergeable { get; init; }

    /// <summary>Dirty-logging clients (bit mask); compared by <c>can_merge</c>, not by <c>flatrange_equal</c>.</summary>
    public byte DirtyLogMask { get; init; }

    /// <summary>For <see cref="RegionKind.RomDevice"/>: whether reads come from RAM (ROM mode).</summary>
    public bool RomdMode { get; init; } = true;

    /// <summary>
    /// QEMU's <c>mr-&gt;priority</c> (docs/semantics.md 2.1, "a region's own priority"): the priority of its latest
    /// placement, kept when it is removed, 0 until it is first placed. <see cref="RegionTree.AddSubregion"/> sets it.
    /// A flat range shows the priority of the region that fills it, so a region reached through an alias shows its
    /// own priority, not the alias's, and <c>info mtree</c> prints it on a <c>memory-region:</c> root.
    /// </summary>
    public int Priority { get; init; }

    /// <summary>For <see cref="RegionKind.Alias"/>: the name of the region the alias shows.</summary>
    public string? AliasTarget { get; init; }

    /// <summary>For <see cref="RegionKind.Alias"/>: where in the target the alias window starts.</summary>
    public ulong AliasOffset { get; init; }

    /// <summary>Placements of the children, in QEMU's render order (<see cref="Subregion.RenderOrder"/>).</summary>
    public ImmutableArray<Subregion> Subregions { get; init; } = [];

    /// <summary>Whether the region has content of its own that fills the gaps its subregions leave
    /// (QEMU's <c>terminates</c>): every kind but container and alias.</summary>
    public bool Terminates => Kind is not (RegionKind.Container or RegionKind.Alias);

    /// <summary>A container of <paramref name="size"/> bytes.</summary>
    /// <param name="name">Name.</param><param name="size">Size, at most 2^64.</param>
    /// <returns>The region.</returns>
    public static MemoryRegion Container(string name, UInt128 size) => new(name, RegionKind.Container, size);

    /// <summary>A RAM region.</summary>
    /// <param name="name">Name.</param><param name="size">Size, at most 2^64.</param>
    /// <returns>The region.</returns>
    public static MemoryRegion Ram(string name, UInt128 size) => new(name, RegionKind.Ram, size);

    /// <summary>A ROM region (read-only RAM).</summary>
    /// <param name="name">Name.</param><param name="size">Size, at most 2^64.</param>
    /// <returns>The region.</returns>
    public static MemoryRegion Rom(string name, UInt128 size) => new(name, RegionKind.Rom, size) { ReadOnly = true };

    /// <summary>An emulated MMIO region.</summary>
    /// <param name="name">Name.</param><param name="size">Size, at most 2^64.</param>
    /// <returns>The region.</returns>
    public static MemoryRegion Io(string name, UInt128 size) => new(name, RegionKind.Io, size);

    /// <summary>An alias showing <paramref name="size"/> bytes of <paramref name="target"/> from <paramref name="offset"/>.</summary>
    /// <param name="name">Name.</param><param name="target">The target's name.</param>
    /// <param name="offset">Offset in the target.</param><param name="size">Size, at most 2^64.</param>
    /// <returns>The region.</returns>
    public static MemoryRegion Alias(string name, string target, ulong offset, UInt128 size)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        return new MemoryRegion(name, RegionKind.Alias, size) { AliasTarget = target, AliasOffset = offset };
    }

    /// <summary>Whether two regions are the same by value: every attribute, and the same subregion placements in the
    /// same order (the order is the tie-break between equal priorities, so it is part of the value).</summary>
    /// <param name="other">The other region.</param>
    /// <returns>True when equal by value.</returns>
    public bool Equals(MemoryRegion? other) =>
        ReferenceEquals(this, other)
        || (other is not null && _name == other._name && Kind == other.Kind && _size == other._size && Enabled == other.Enabled
            && ReadOnly == other.ReadOnly && NonVolatile == other.NonVolatile && Unmergeable == other.Unmergeable
            && DirtyLogMask == other.DirtyLogMask && RomdMode == other.RomdMode && AliasTarget == other.AliasTarget
            && AliasOffset == other.AliasOffset && Priority == other.Priority && Subregions.SequenceEqual(other.Subregions));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_name, StringComparer.Ordinal);
        hash.Add(Kind);
        hash.Add(_size);
        hash.Add(Enabled);
        hash.Add(ReadOnly);
        hash.Add(NonVolatile);
        hash.Add(Unmergeable);
        hash.Add(DirtyLogMask);
        hash.Add(RomdMode);
        hash.Add(AliasTarget, StringComparer.Ordinal);
        hash.Add(AliasOffset);
        hash.Add(Priority);
        foreach (var s in Subregions)
        {
            hash.Add(s);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Kind.ToString().ToLowerInvariant()} {Name} size={AddressRange.FormatEnd(Size)}");
        if (Kind == RegionKind.Alias)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" -> {AliasTarget}@0x{AliasOffset:x}");
        }

        if (!Enabled) { text += " disabled"; }
        if (ReadOnly && Kind != RegionKind.Rom) { text += " readonly"; }
        if (NonVolatile) { text += " nonvolatile"; }
        if (Unmergeable) { text += " unmergeable"; }
        if (DirtyLogMask != 0) { text += string.Create(CultureInfo.InvariantCulture, $" dirty=0x{DirtyLogMask:x}"); }
        if (Kind == RegionKind.RomDevice && !RomdMode) { text += " romd-off"; }
        return text;
    }
}
