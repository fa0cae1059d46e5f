namespace Verify.MemoryMap.Text;

/// <summary>
/// One <c> AS "NAME", root: ROOT</c> line of <c>info mtree -f</c>: an address space that shares the
/// section's FlatView (QEMU prints one FlatView once for every address space that renders to it).
/// </summary>
/// <param name="Name">The address space's name, printed in quotes; never contains a quote or a line break.</param>
/// <param name="Root">The name of the address space's root region; never contains <c>", alias "</c>.</param>
/// <param name="RootAlias">When the root is an alias, the region it aliases (<c>, alias NAME</c>); otherwise null.</param>
public sealed record MtreeAddressSpace(string Name, string Root, string? RootAlias = null)
{
    /// <summary>The line as QEMU prints it, without the line break.</summary>
    /// <returns><c> AS "memory", root: system</c>.</returns>
    public override string ToString() =>
        RootAlias is null ? $" AS \"{Name}\", root: {Root}" : $" AS \"{Name}\", root: {Root}, alias {RootAlias}";
}
