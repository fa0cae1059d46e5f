using System.Globalization;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Layouts;

/// <summary>
/// One edit of QEMU's memory API (add, delete, move a subregion; a setter). A machine operation is a list of them,
/// applied to the model's <see cref="RegionTree"/> and, separately, to the oracle's own tree, so the render oracle
/// never paints what the model's edits produced.
/// </summary>
public abstract record TreeEdit
{
    private protected TreeEdit()
    {
    }

    /// <summary>Applies the edit to the model's tree.</summary>
    /// <param name="tree">The tree.</param>
    /// <returns>The edited tree.</returns>
    public abstract RegionTree ApplyTo(RegionTree tree);

    /// <summary><c>memory_region_add_subregion_overlap</c>.</summary>
    /// <param name="Parent">The parent.</param>
    /// <param name="Child">The child.</param>
    /// <param name="Address">Offset in the parent.</param>
    /// <param name="Priority">Priority among siblings.</param>
    public sealed record Place(string Parent, string Child, ulong Address, int Priority) : TreeEdit
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree) => tree.AddSubregion(Parent, Child, Address, Priority);

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"place {Child} in {Parent} at 0x{Address:x} prio {Priority}");
    }

    /// <summary><c>memory_region_del_subregion</c>.</summary>
    /// <param name="Child">A placed region.</param>
    public sealed record Unplace(string Child) : TreeEdit
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree) => tree.RemoveSubregion(Child);

        /// <inheritdoc/>
        public override string ToString() => $"unplace {Child}";
    }

    /// <summary><c>memory_region_set_address</c>.</summary>
    /// <param name="Child">A placed region.</param>
    /// <param name="Address">Its new offset.</param>
    public sealed record Move(string Child, ulong Address) : TreeEdit
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree) => tree.Move(Child, Address);

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"move {Child} to 0x{Address:x}");
    }

    /// <summary>A setter of one region's own fields.</summary>
    /// <param name="Region">The region.</param>
    /// <param name="Change">What the setter does to the region's fields.</param>
    /// <param name="What">The setter, for messages.</param>
    public sealed record Set(string Region, Func<MemoryRegion, MemoryRegion> Change, string What) : TreeEdit
    {
        /// <inheritdoc/>
        public override RegionTree ApplyTo(RegionTree tree) => tree.Update(Region, Change);

        /// <inheritdoc/>
        public override string ToString() => $"set {Region} {What}";
    }
}
