using System.Globalization;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Layouts;

/// <summary>One guest- or host-visible change of a machine's memory map; each is one memory transaction.</summary>
public abstract record LayoutOperation
{
    /// <summary>The memory API edits the change makes to a machine in the state <paramref name="tree"/> shows; none
    /// when it is already in that state.</summary>
    /// <param name="layout">The machine.</param>
    /// <param name="tree">The current tree (read for the machine's state, never edited here).</param>
    /// <returns>The edits, in order.</returns>
    public abstract IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree);

    /// <summary>Applies <see cref="Edits"/>; returns the tree unchanged when it is already in that state.</summary>
    /// <param name="layout">The machine.</param>
    /// <param name="tree">The current tree.</param>
    /// <returns>The tree after the transaction.</returns>
    public RegionTree ApplyTo(MachineLayout layout, RegionTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        foreach (var edit in Edits(layout, tree))
        {
            tree = edit.ApplyTo(tree);
        }

        return tree;
    }

    /// <summary>Why the operation cannot name anything of <paramref name="layout"/> (a BAR, DIMM slot, ROM device,
    /// virtio-mem memslot or PAM segment it lacks), or null when it can.</summary>
    /// <param name="layout">The machine.</param>
    /// <returns>The reason, naming what the machine has, or null.</returns>
    public abstract string? Refusal(MachineLayout layout);

    /// <summary>Simpler variants of this operation.</summary>
    /// <returns>Candidates.</returns>
    public virtual IEnumerable<LayoutOperation> Shrink() => [];

    /// <summary>Programs a PAM segment (the firmware shadowing the BIOS, or making it read-only).</summary>
    /// <param name="Segment">Index into <see cref="MachineLayout.PamSegments"/>.</param>
    /// <param name="Mode">The new setting.</param>
    public sealed record SetPam(int Segment, PamMode Mode) : LayoutOperation
    {
        /// <inheritdoc/>
        public override string? Refusal(MachineLayout layout)
        {
            ArgumentNullException.ThrowIfNull(layout);
            return Segment < layout.PamSegments.Length ? null
                : layout.PamSegments.IsEmpty ? $"machine '{layout.Name}' has no PAM"
                : string.Create(CultureInfo.InvariantCulture, $"machine '{layout.Name}' has PAM segments 0 to {layout.PamSegments.Length - 1}, not {Segment}");
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree)
        {
            ArgumentNullException.ThrowIfNull(layout);
            if (Segment >= layout.PamSegments.Length)
            {
                return [];
            }

            // QEMU's pam_update: disable the old alias, enable the new one, in one transaction.
            return [.. Enum.GetValues<PamMode>()
                .Where(mode => tree[layout.PamAlias(Segment, mode)].Enabled != (mode == Mode))
                .Select(mode => new TreeEdit.Set(layout.PamAlias(Segment, mode), r => r with { Enabled = mode == Mode }, mode == Mode ? "enabled" : "disabled"))];
        }

        /// <inheritdoc/>
        public override IEnumerable<LayoutOperation> Shrink() => Segment > 0 ? [this with { Segment = 0 }] : [];

        /// <inheritdoc/>
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"pam segment {Segment} (0x{0xc0000 + (Segment == 0 ? 0x30000 : (Segment - 1) * 0x4000):x}) -> {Mode}");
    }

    /// <summary>Sets or clears a BAR's decode enable (the command register's memory bit).</summary>
    /// <param name="Bar">The BAR's region.</param>
    /// <param name="Enabled">Whether it is mapped.</param>
    public sealed record SetBarEnabled(string Bar, bool Enabled) : LayoutOperation
    {
        /// <inheritdoc/>
        public override string? Refusal(MachineLayout layout)
        {
            ArgumentNullException.ThrowIfNull(layout);
            return layout.Bars.Any(b => b.Region == Bar) ? null : NoBar(layout, Bar);
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree)
        {
            ArgumentNullException.ThrowIfNull(layout);
            ArgumentNullException.ThrowIfNull(tree);
            var spec = layout.Bars.FirstOrDefault(b => b.Region == Bar);
            if (spec is null || (tree.ParentOf(Bar) is not null) == Enabled)
            {
                return [];
            }

            return [Enabled ? new TreeEdit.Place(spec.Container, Bar, spec.Address, spec.Priority) : new TreeEdit.Unplace(Bar)];
        }

        /// <inheritdoc/>
        public override string ToString() => $"bar {Bar} {(Enabled ? "enable" : "disable")}";
    }

    /// <summary>Reprograms a BAR's address; a disabled BAR is mapped there when next enabled.</summary>
    /// <param name="Bar">The BAR's region.</param>
    /// <param name="Address">The new address (may be a 64-bit sizing artefact with bit 63 set).</param>
    public sealed record MoveBar(string Bar, ulong Address) : LayoutOperation
    {
        /// <inheritdoc/>
        public override string? Refusal(MachineLayout layout)
        {
            ArgumentNullException.ThrowIfNull(layout);
            return layout.Bars.Any(b => b.Region == Bar) ? null : NoBar(layout, Bar);
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree) =>
            layout.Bars.Any(b => b.Region == Bar) && tree.ParentOf(Bar) is not null && tree.PlacementOf(Bar).Address != Address
                ? [new TreeEdit.Move(Bar, Address)]
                : [];

        /// <inheritdoc/>
        public override IEnumerable<LayoutOperation> Shrink() => [];

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"bar {Bar} move to 0x{Address:x}");
    }

    /// <summary>Switches a ROM device in or out of ROM mode (a flash command puts it in MMIO mode).</summary>
    /// <param name="Device">The ROM device's region.</param>
    /// <param name="RomMode">Whether reads come from RAM.</param>
    public sealed record SetRomMode(string Device, bool RomMode) : LayoutOperation
    {
        /// <inheritdoc/>
        public override string? Refusal(MachineLayout layout)
        {
            ArgumentNullException.ThrowIfNull(layout);
            return layout.RomDevices.Contains(Device) ? null
                : $"machine '{layout.Name}' has no ROM device '{Device}' (it has {Names(layout.RomDevices)})";
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree) =>
            layout.RomDevices.Contains(Device) && tree[Device].RomdMode != RomMode
                ? [new TreeEdit.Set(Device, r => r with { RomdMode = RomMode }, RomMode ? "romd on" : "romd off")]
                : [];

        /// <inheritdoc/>
        public override string ToString() => $"rom device {Device} romd={(RomMode ? "on" : "off")}";
    }

    /// <summary>Hot-adds a DIMM (<c>device_add pc-dimm</c>) into its slot of the device-memory container.</summary>
    /// <param name="Slot">Slot index.</param>
    public sealed record HotAddDimm(int Slot) : LayoutOperation
    {
        /// <inheritdoc/>
        public override string? Refusal(MachineLayout layout)
        {
            ArgumentNullException.ThrowIfNull(layout);
            return Slot >= 0 && Slot < layout.DimmSlots ? null
                : string.Create(CultureInfo.InvariantCulture, $"machine '{layout.Name}' has {layout.DimmSlots} DIMM slot(s), not slot {Slot}");
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree) =>
            Slot < layout.DimmSlots && tree.ParentOf(MachineLayout.Dimm(Slot)) is null
                ? [new TreeEdit.Place(layout.DeviceMemory, MachineLayout.Dimm(Slot), (ulong)Slot * layout.DimmSize, 0)]
                : [];

        /// <inheritdoc/>
        public override IEnumerable<LayoutOperation> Shrink() => Slot > 0 ? [this with { Slot = 0 }] : [];

        /// <inheritdoc/>
        public override string ToString() => $"hot-add {MachineLayout.Dimm(Slot)}";
    }

    /// <summary>Plugs or unplugs one virtio-mem memslot (the guest onlining or offlining its blocks).</summary>
    /// <param name="Block">Memslot index.</param>
    /// <param name="Plugged">Whether it is mapped.</param>
    public sealed record SetVirtioMemBlock(int Block, bool Plugged) : LayoutOperation
    {
        /// <inheritdoc/>
        public override string? Refusal(MachineLayout layout)
        {
            ArgumentNullException.ThrowIfNull(layout);
            return Block >= 0 && Block < layout.VirtioMemBlocks ? null
                : string.Create(CultureInfo.InvariantCulture, $"machine '{layout.Name}' has {layout.VirtioMemBlocks} virtio-mem memslot(s), not memslot {Block}");
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TreeEdit> Edits(MachineLayout layout, RegionTree tree) =>
            Block < layout.VirtioMemBlocks && tree[MachineLayout.VirtioMemSlot(Block)].Enabled != Plugged
                ? [new TreeEdit.Set(MachineLayout.VirtioMemSlot(Block), r => r with { Enabled = Plugged }, Plugged ? "enabled" : "disabled")]
                : [];

        /// <inheritdoc/>
        public override IEnumerable<LayoutOperation> Shrink() => Block > 0 ? [this with { Block = 0 }] : [];

        /// <inheritdoc/>
        public override string ToString() => $"virtio-mem memslot {Block} {(Plugged ? "plug" : "unplug")}";
    }

    private static string NoBar(MachineLayout layout, string bar) =>
        $"machine '{layout.Name}' has no BAR '{bar}' (it has {Names(layout.Bars.Select(b => b.Region))})";

    private static string Names(IEnumerable<string> names)
    {
        var list = names.Select(n => $"'{n}'").ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
