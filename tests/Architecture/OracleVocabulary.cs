using System.Collections.Immutable;

namespace Verify.Architecture;

/// <summary>
/// What src/Oracle may touch in the libraries it judges. The oracle is the second, simple opinion; if it called the
/// model's algorithms (render, simplify, diff, plan, map, translate) a bug there would agree with itself. So it may use
/// only vocabulary: the value types that carry inputs and answers (ranges, flat ranges, mappings, options, results),
/// their constructors and accessors, and a few named members that only read data.
/// </summary>
public static class OracleVocabulary
{
    /// <summary>The libraries the oracle must not borrow algorithms from.</summary>
    public static readonly ImmutableArray<string> Libraries = ["Verify.MemoryMap", "Verify.Vfio", "Verify.IommuModel"];

    /// <summary>Types all of whose members the oracle may use: data and the rules' own constants, no algorithms.</summary>
    public static readonly ImmutableHashSet<string> Types =
    [
        "Verify.MemoryMap.AddressRange",
        "Verify.MemoryMap.AddressSpace",
        "Verify.MemoryMap.Flat.FlatRange",
        "Verify.MemoryMap.Regions.MemoryRegion",
        "Verify.MemoryMap.Regions.RegionKind",
        "Verify.Vfio.DmaBackendTraits",
        "Verify.Vfio.DmaMapping",
        "Verify.Vfio.DmaOperation",
        "Verify.Vfio.DmaOperation+Map",
        "Verify.Vfio.DmaOperation+Unmap",
        "Verify.Vfio.DmaOptions",
        "Verify.Vfio.DmaResult",
        "Verify.Vfio.DmaTranslation",
        "Verify.IommuModel.Errno",
        "Verify.IommuModel.GuestIommu.ContextEntry",
        "Verify.IommuModel.GuestIommu.GuestIommuOptions",
        "Verify.IommuModel.Host.PhysicalRange",
        "Verify.IommuModel.Host.VirtualRun",
        "Verify.IommuModel.Lifecycle.DeviceState",
        "Verify.IommuModel.Lifecycle.DeviceTrigger",
        "Verify.IommuModel.PageTables.MapResult",
        "Verify.IommuModel.PageTables.PageTableFormat",
        "Verify.IommuModel.PageTables.PageTableOptions",
        "Verify.IommuModel.PageTables.Protection",
        "Verify.IommuModel.PageTables.Translation",
        "Verify.IommuModel.Type1.Type1ExternalPin",
        "Verify.IommuModel.Type1.Type1Mapping",
        "Verify.IommuModel.Type1.Type1Options",
        "Verify.IommuModel.Type1.Type1Result",
    ];

    /// <summary>Single members of non-vocabulary types the oracle may use because they only hand out data.</summary>
    public static readonly ImmutableHashSet<string> Members =
    [
        "Verify.MemoryMap.Flat.FlatView::get_Ranges",
        "Verify.MemoryMap.Flat.FlatView::get_Count",
        "Verify.MemoryMap.Flat.FlatView::get_Item",
    ];

    /// <summary>Whether a member (<c>Namespace.Type::Member</c>) is vocabulary.</summary>
    /// <param name="member">The member.</param>
    /// <returns>True when allowed.</returns>
    public static bool Allows(string member) =>
        Members.Contains(member) || Types.Contains(member[..member.IndexOf("::", StringComparison.Ordinal)]);
}
