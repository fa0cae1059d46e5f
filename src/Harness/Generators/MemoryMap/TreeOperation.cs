using System.Globalization;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>Which flag a <see cref="TreeOperation.SetFlag"/> changes.</summary>
public enum RegionFlag
{
    /// <summary><c>memory_region_set_enabled</c>.</summary>
    Enabled,

    /// <summary><c>memory_region_set_readonly</c>.</summary>
    ReadOnly,

    /// <summary><c>memory_region_set_nonvolatile</c>.</summary>
    NonVolatile,

    /// <summary><c>memory_region_set_unmergeable</c>.</summary>
    Unmergeable,

    /// <summary><c>memory_region_rom_device_set_romd</c>.</summary>
    RomdMode,

    /// <summary>Dirty logging on (mask 0x1) or off.</summary>
    DirtyLog,
}

/// <summary>
/// One change of a generated region tree, applied two independent ways: through the <see cref="RegionTree"/>
/// API (the model path) and as an edit of the <see cref="RegionTreeCase"/> data (which the oracle paints).
/// </summary>
public abstract record TreeOperation
{
    /// <summary>Applies the change through the tree API; returns the tree unchanged when it does not apply.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="grid">The case's grid (to turn units into addresses).</param>
    /// <returns>The changed tree.</returns>
    public abstract RegionTree ApplyTo(RegionTree tree, Grid grid);

    /// <summary>Applies the change to the data of a case; returns it unchanged when it does not apply.</summary>
    /// <param name="data">The case.</param>
    /// <returns>The changed case.</returns>
    public abstract RegionTreeCase ApplyTo(RegionTreeCase data);

    /// <summary>Simpler variants of this operation.</summary>
    /// <returns>Candidates.</returns>
    public virtual IEnumerable<TreeOperation> Shrink() => [];

    /// <summary>Sets one flag of a region.</summary>
    /// <param name="Region">Region name.</param>
    /// <param name="Flag">The flag.</param>
    /// <param name="Value">New value.</param>
    public sealed record SetFlag(string Region, RegionFlag Flag, bool Value) : TreeOperation
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree, Grid grid) =>
            tree.Contains(Region) ? tree.Update(Region, r => Flag switch
            {
                RegionFlag.Enabled => r with { Enabled = Value },
                RegionFlag.ReadOnly => r with { ReadOnly = Value },
                RegionFlag.NonVolatile => r with { NonVolatile = Value },
                RegionFlag.Unmergeable => r with { Unmergeable = Value },
                RegionFlag.RomdMode => r with { RomdMode = Value },
                _ => r with { DirtyLogMask = DirtyLog(r.DirtyLogMask, Value) },
            }) : tree;

        /// <inheritdoc/>
        public override RegionTreeCase ApplyTo(RegionTreeCase data)
        {
            int i = data.Regions.IndexOf(data.Regions.FirstOrDefault(r => r.Name == Region)!);
            if (i < 0)
            {
                return data;
            }

            var r = data.Regions[i];
            var changed = Flag switch
            {
                RegionFlag.Enabled => r with { Enabled = Value },
                RegionFlag.ReadOnly => r with { ReadOnly = Value },
                RegionFlag.NonVolatile => r with { NonVolatile = Value },
                RegionFlag.Unmergeable => r with { Unmergeable = Value },
                RegionFlag.RomdMode => r with { RomdMode = Value },
                _ => r with { DirtyLogMask = DirtyLog(r.DirtyLogMask, Value) },
            };
            return data with { Regions = data.Regions.SetItem(i, changed) };
        }

        /// <inheritdoc/>
        public override string ToString() => $"set {Region} {Flag.ToString().ToLowerInvariant()}={(Value ? "on" : "off")}";

        // memory_region_set_log per client (QEMU's DIRTY_MEMORY_VGA, _CODE, _MIGRATION): on starts the lowest client
        // not yet logging, off stops the lowest one logging, so one transaction can stop a client and start another
        // on the same range (a log_stop and a log_start together).
        private static byte DirtyLog(byte mask, bool on) =>
            on ? (byte)((mask | (~mask & (mask + 1))) & 7 | mask) : (byte)(mask & (mask - 1));
    }

    /// <summary>Moves a placed region (QEMU's <c>memory_region_set_address</c>: it becomes the most recently added).</summary>
    /// <param name="Region">Region name.</param>
    /// <param name="AddressUnits">New address in units.</param>
    public sealed record Move(string Region, ulong AddressUnits) : TreeOperation
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree, Grid grid)
        {
            if (!tree.Contains(Region) || tree.ParentOf(Region) is not { } parent || tree[Region].Size == Verify.MemoryMap.AddressSpace.End)
            {
                return tree;
            }

            ulong address = tree[parent].Size == Verify.MemoryMap.AddressSpace.End ? grid.At(AddressUnits) : AddressUnits * grid.Unit;
            return tree.Move(Region, address);
        }

        /// <inheritdoc/>
        public override RegionTreeCase ApplyTo(RegionTreeCase data)
        {
            var p = data.Placements.FirstOrDefault(p => p.Child == Region);
            if (p is null || data.Regions.Any(r => r.Name == Region && data.IsWholeSpace(r)) || p.AddressUnits == AddressUnits)
            {
                return data;
            }

            return data with { Placements = data.Placements.Remove(p).Add(p with { AddressUnits = AddressUnits }) };
        }

        /// <inheritdoc/>
        public override IEnumerable<TreeOperation> Shrink() => AddressUnits == 0 ? [] : [this with { AddressUnits = AddressUnits / 2 }];

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"move {Region} to {AddressUnits}u");
    }

    /// <summary>Changes where an alias's window starts in its target (<c>memory_region_set_alias_offset</c>).</summary>
    /// <param name="Region">Alias name.</param>
    /// <param name="OffsetUnits">New offset in units.</param>
    public sealed record SetAliasOffset(string Region, ulong OffsetUnits) : TreeOperation
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree, Grid grid)
        {
            if (!tree.Contains(Region) || tree[Region].Kind != RegionKind.Alias)
            {
                return tree;
            }

            bool wholeTarget = tree[tree[Region].AliasTarget!].Size == Verify.MemoryMap.AddressSpace.End;
            ulong offset = wholeTarget ? grid.At(OffsetUnits) : OffsetUnits * grid.Unit;
            return tree.Update(Region, r => r with { AliasOffset = offset });
        }

        /// <inheritdoc/>
        public override RegionTreeCase ApplyTo(RegionTreeCase data)
        {
            int i = data.Regions.IndexOf(data.Regions.FirstOrDefault(r => r.Name == Region && r.Kind == RegionKind.Alias)!);
            return i < 0 ? data : data with { Regions = data.Regions.SetItem(i, data.Regions[i] with { AliasOffsetUnits = OffsetUnits }) };
        }

        /// <inheritdoc/>
        public override IEnumerable<TreeOperation> Shrink() => OffsetUnits == 0 ? [] : [this with { OffsetUnits = OffsetUnits / 2 }];

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"set {Region} alias-offset={OffsetUnits}u");
    }

    /// <summary>Hands dirty logging of a region from one client to another in one transaction: the lowest logging
    /// client stops and the lowest idle one starts (say VGA stops as migration starts), so the range gets a
    /// <c>log_stop</c> and a <c>log_start</c> together, which independent on/off operations almost never build.</summary>
    /// <param name="Region">Region name.</param>
    public sealed record HandOverDirtyLog(string Region) : TreeOperation
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree, Grid grid) =>
            tree.Contains(Region) ? tree.Update(Region, r => r with { DirtyLogMask = HandOver(r.DirtyLogMask) }) : tree;

        /// <inheritdoc/>
        public override RegionTreeCase ApplyTo(RegionTreeCase data)
        {
            int i = data.Regions.IndexOf(data.Regions.FirstOrDefault(r => r.Name == Region)!);
            return i < 0 ? data : data with { Regions = data.Regions.SetItem(i, data.Regions[i] with { DirtyLogMask = HandOver(data.Regions[i].DirtyLogMask) }) };
        }

        /// <inheritdoc/>
        public override string ToString() => $"set {Region} dirty-log handed over";

        // Nothing logging: client 0 starts. Otherwise the lowest logging client stops and the lowest client idle before
        // starts (within QEMU's three); all three logging: client 0 stops.
        private static byte HandOver(byte mask)
        {
            int stopping = mask & -mask;
            int starting = ~mask & (mask + 1) & 7;
            return (byte)((mask & ~stopping) | starting);
        }
    }

    /// <summary>Removes a region's placement (<c>memory_region_del_subregion</c>).</summary>
    /// <param name="Region">Region name.</param>
    public sealed record Unplace(string Region) : TreeOperation
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree, Grid grid) =>
            tree.Contains(Region) && tree.ParentOf(Region) is not null ? tree.RemoveSubregion(Region) : tree;

        /// <inheritdoc/>
        public override RegionTreeCase ApplyTo(RegionTreeCase data) =>
            data with { Placements = data.Placements.RemoveAll(p => p.Child == Region) };

        /// <inheritdoc/>
        public override string ToString() => $"unplace {Region}";
    }

    /// <summary>Places an unplaced region (<c>memory_region_add_subregion_overlap</c>).</summary>
    /// <param name="Placement">Where.</param>
    public sealed record Place(PlacementSpec Placement) : TreeOperation
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree, Grid grid)
        {
            var p = Placement;
            if (!Placeable(tree, p))
            {
                return tree;
            }

            bool wholeChild = tree[p.Child].Size == Verify.MemoryMap.AddressSpace.End;
            bool wholeParent = tree[p.Parent].Size == Verify.MemoryMap.AddressSpace.End;
            ulong address = wholeChild ? 0 : wholeParent ? grid.At(p.AddressUnits) : p.AddressUnits * grid.Unit;
            return tree.AddSubregion(p.Parent, p.Child, address, p.Priority);
        }

        /// <inheritdoc/>
        public override RegionTreeCase ApplyTo(RegionTreeCase data)
        {
            var candidate = data with { Placements = data.Placements.Add(Placement) };
            return data.Placements.Any(p => p.Child == Placement.Child) || candidate.TryBuild() is null ? data : candidate;
        }

        /// <inheritdoc/>
        public override IEnumerable<TreeOperation> Shrink()
        {
            if (Placement.Priority != 0) { yield return new Place(Placement with { Priority = 0 }); }
            if (Placement.AddressUnits != 0) { yield return new Place(Placement with { AddressUnits = Placement.AddressUnits / 2 }); }
        }

        /// <inheritdoc/>
        public override string ToString() => Placement.ToString();

        // The model path must refuse exactly what the data path refuses: a cycle, or a child already placed.
        private static bool Placeable(RegionTree tree, PlacementSpec p)
        {
            if (!tree.Contains(p.Parent) || !tree.Contains(p.Child) || p.Child == tree.Root || tree.ParentOf(p.Child) is not null
                || tree[p.Parent].Kind == RegionKind.Alias)
            {
                return false;
            }

            return !Reaches(tree, p.Child, p.Parent, 0);
        }

        private static bool Reaches(RegionTree tree, string from, string to, int depth)
        {
            if (from == to)
            {
                return true;
            }

            if (depth > 64)
            {
                return true;
            }

            var r = tree[from];
            return (r.AliasTarget is { } t && Reaches(tree, t, to, depth + 1)) || r.Subregions.Any(s => Reaches(tree, s.Name, to, depth + 1));
        }
    }
}
