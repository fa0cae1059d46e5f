using System.Collections.Immutable;
using Verify.Harness.Core;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>
/// What must hold after one step; every field is optional and only the recorded ones are checked. Per-container
/// fields are keyed by container name and sorted, so a written file is stable.
/// </summary>
public sealed partial record StepExpectations
{
    /// <summary>Nothing recorded.</summary>
    public static StepExpectations None { get; } = new();

    /// <summary>The committed view's ranges, each as <see cref="MemoryMap.Flat.FlatRange.ToString"/> prints it.</summary>
    public ImmutableArray<string>? Ranges { get; init; }

    /// <summary>The errno of a raw MAP/UNMAP step (<see cref="MemoryMap.Errno.None"/> for success).</summary>
    public Errno? Errno { get; init; }

    /// <summary>The size a raw MAP/UNMAP step returned.</summary>
    public UInt128? Size { get; init; }

    /// <summary>Translations of given IOVAs in given containers.</summary>
    public ImmutableArray<TranslationExpectation> Translations { get; init; } = [];

    /// <summary>Ioctls each container received during the step.</summary>
    public ImmutableSortedDictionary<string, int> Ioctls { get; init; } = ImmutableSortedDictionary.Create<string, int>(StringComparer.Ordinal);

    /// <summary>Collateral bytes of each container during the step: IOVA that translates the same before and after
    /// but was unmapped at some moment in between.</summary>
    public ImmutableSortedDictionary<string, UInt128> Collateral { get; init; } = ImmutableSortedDictionary.Create<string, UInt128>(StringComparer.Ordinal);

    /// <summary>Each container's live mappings after the step, as <see cref="Vfio.DmaMapping.ToString"/> prints them.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> Mappings { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal);

    /// <summary>Each page table's leaves after the step, as <see cref="PageTableLeaf.ToString"/> prints them.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> Leaves { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal);

    /// <summary>Each page table's IOTLB entries that no longer match the table after the step (what a device could
    /// still use although the table says otherwise), as <c>ScenarioRunner</c> prints them.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> Stale { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal);

    /// <summary>Each process's <c>locked_vm</c> in bytes after the step (what its type1 containers charged).</summary>
    public ImmutableSortedDictionary<string, UInt128> LockedVm { get; init; } = ImmutableSortedDictionary.Create<string, UInt128>(StringComparer.Ordinal);

    /// <summary>Each process's pinned memory after the step, in distinct 4 KiB physical pages.</summary>
    public ImmutableSortedDictionary<string, int> Pinned { get; init; } = ImmutableSortedDictionary.Create<string, int>(StringComparer.Ordinal);

    /// <summary>Each process's <c>RLIMIT_MEMLOCK</c> must be what a management rule gives (so a file says where its
    /// limit comes from).</summary>
    public ImmutableSortedDictionary<string, MemlockRule> MemlockLimit { get; init; } = ImmutableSortedDictionary.Create<string, MemlockRule>(StringComparer.Ordinal);

    /// <summary>The host physical address of each page a <c>pin</c> step pinned, in IOVA order (empty for a failed pin).</summary>
    public ImmutableArray<ulong>? Pfns { get; init; }

    /// <summary>Whether the step's direct type1 call hit the kernel BUG (more than 10 unmap retries on one mapping, or
    /// any call after one).</summary>
    public bool? KernelBug { get; init; }

    /// <summary>Each type1 container's external pin table after the step, as <see cref="IommuModel.Type1.Type1ExternalPin.ToString"/>
    /// prints its entries (<c>iova 0x200000 -> hpa 0x100000000 x2</c>: the page's pin count is its references).</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> ExternalPins { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal);

    /// <summary>What the vIOMMU answered the step's guest request (hotplug, unplug, context, map, unmap):
    /// <see cref="GuestRefusal.None"/> for accepted.</summary>
    public GuestRefusal? Refused { get; init; }

    /// <summary>Whether nothing is recorded.</summary>
    public bool IsEmpty => Ranges is null && Errno is null && Size is null && Translations.IsEmpty && Ioctls.IsEmpty && Collateral.IsEmpty && Mappings.IsEmpty
        && Leaves.IsEmpty && Stale.IsEmpty && LockedVm.IsEmpty && Pinned.IsEmpty && MemlockLimit.IsEmpty
        && KernelBug is null && ExternalPins.IsEmpty && Pfns is null && Refused is null;

    /// <inheritdoc/>
    public bool Equals(StepExpectations? other) =>
        other is not null
        && Same(Ranges, other.Ranges)
        && Errno == other.Errno
        && Size == other.Size
        && Translations.SequenceEqual(other.Translations)
        && Ioctls.SequenceEqual(other.Ioctls)
        && Collateral.SequenceEqual(other.Collateral)
        && SameLists(Mappings, other.Mappings)
        && SameLists(Leaves, other.Leaves)
        && SameLists(Stale, other.Stale)
        && LockedVm.SequenceEqual(other.LockedVm)
        && Pinned.SequenceEqual(other.Pinned)
        && MemlockLimit.SequenceEqual(other.MemlockLimit)
        && KernelBug == other.KernelBug
        && (Pfns is null ? other.Pfns is null : other.Pfns is not null && Pfns.Value.SequenceEqual(other.Pfns.Value))
        && SameLists(ExternalPins, other.ExternalPins)
        && Refused == other.Refused;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Errno, Size, Translations.Length, Ioctls.Count);

    private static bool SameLists(ImmutableSortedDictionary<string, ImmutableArray<string>> a, ImmutableSortedDictionary<string, ImmutableArray<string>> b) =>
        a.Count == b.Count && a.All(m => b.TryGetValue(m.Key, out var o) && o.SequenceEqual(m.Value));

    private static bool Same(ImmutableArray<string>? a, ImmutableArray<string>? b) =>
        a is null ? b is null : b is not null && a.Value.SequenceEqual(b.Value);
}

/// <summary>What one IOVA of one container, of one page table, or of one device behind the vIOMMU must translate to.</summary>
/// <param name="Target">The container, the page table when <see cref="OfPageTable"/> is set, or the device when
/// <see cref="OfDevice"/> is.</param>
/// <param name="Iova">The address.</param>
/// <param name="To">The translation as <see cref="Vfio.DmaTranslation.ToString"/> prints it for a container
/// (<c>pc.ram@0xe8000 rw</c>) or <see cref="Translation.ToString"/> for a page table (<c>0x200000 rw</c>), or null for
/// "nothing mapped".</param>
public sealed record TranslationExpectation(string Target, ulong Iova, string? To)
{
    /// <summary>Whether <see cref="Target"/> names a page table (JSON <c>table</c>) rather than a container.</summary>
    public bool OfPageTable { get; init; }

    /// <summary>Whether <see cref="Target"/> names a device behind the vIOMMU (JSON <c>device</c>): its container's
    /// translation, as a container's is printed.</summary>
    public bool OfDevice { get; init; }
}

/// <summary>A management stack's rule for a process's <c>RLIMIT_MEMLOCK</c> (<see cref="IommuModel.Host.MemlockLimit"/>).</summary>
/// <param name="Rule"><c>libvirt</c> (factor x RAM + 1 GiB, factor = devices under a vIOMMU) or <c>libvirt-legacy</c>
/// (RAM + 1 GiB).</param>
/// <param name="GuestRam">Guest RAM in bytes.</param>
/// <param name="VfioDevices">Assigned VFIO devices.</param>
/// <param name="Viommu">Whether the guest has a vIOMMU.</param>
public sealed record MemlockRule(string Rule, ulong GuestRam, int VfioDevices, bool Viommu)
{
    /// <summary>The rules a file can name.</summary>
    public static ImmutableArray<string> Rules { get; } = ["libvirt", "libvirt-legacy"];

    /// <summary>The limit the rule gives.</summary>
    /// <returns>Bytes.</returns>
    public ulong Limit() => Rule == "libvirt-legacy"
        ? IommuModel.Host.MemlockLimit.LibvirtLegacy(GuestRam)
        : IommuModel.Host.MemlockLimit.Libvirt(GuestRam, VfioDevices, Viommu);

    /// <inheritdoc/>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Rule} for {ScenarioNumbers.Format(GuestRam)} RAM, {VfioDevices} device(s){(Viommu ? ", vIOMMU" : "")}");
}
