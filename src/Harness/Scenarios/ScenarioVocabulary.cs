using System.Globalization;
using Verify.Harness.Core;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>The names the format gives the models' enumerations (region kinds, split policies, errno values, ...):
/// what the reader accepts, the writer writes and step texts print.</summary>
internal static class ScenarioVocabulary
{
    internal static IReadOnlyDictionary<string, GuestIommuKind> GuestIommuKinds { get; } = new Dictionary<string, GuestIommuKind>(StringComparer.Ordinal)
    {
        ["vt-d"] = GuestIommuKind.VtD,
        ["virtio-iommu"] = GuestIommuKind.VirtioIommu,
    };

    internal static IReadOnlyDictionary<string, RemappingSwitch> Switches { get; } = new Dictionary<string, RemappingSwitch>(StringComparer.Ordinal)
    {
        ["two-transactions"] = RemappingSwitch.TwoTransactions,
        ["atomic"] = RemappingSwitch.Atomic,
    };

    internal static IReadOnlyDictionary<string, RamListenerKind> RamListeners { get; } = new Dictionary<string, RamListenerKind>(StringComparer.Ordinal)
    {
        ["qemu"] = RamListenerKind.QemuToday,
        ["coalescing"] = RamListenerKind.Coalescing,
        ["unified"] = RamListenerKind.Unified,
    };

    internal static IReadOnlyDictionary<string, InvalidationScope> InvalidationScopes { get; } = new Dictionary<string, InvalidationScope>(StringComparer.Ordinal)
    {
        ["global"] = InvalidationScope.Global,
        ["domain"] = InvalidationScope.Domain,
        ["pages"] = InvalidationScope.Pages,
    };

    internal static IReadOnlyDictionary<string, GuestRefusal> Refusals { get; } = new Dictionary<string, GuestRefusal>(StringComparer.Ordinal)
    {
        ["none"] = GuestRefusal.None,
        ["misaligned"] = GuestRefusal.Misaligned,
        ["outside-address-width"] = GuestRefusal.OutsideAddressWidth,
        ["overlap"] = GuestRefusal.Overlap,
        ["splits-interval"] = GuestRefusal.SplitsInterval,
        ["no-caching-mode"] = GuestRefusal.NoCachingMode,
        ["wrong-slot-state"] = GuestRefusal.WrongSlotState,
    };

    // A device always reads what it pins; it may also ask to write.
    internal static IReadOnlyDictionary<string, bool> PinProtections { get; } = new Dictionary<string, bool>(StringComparer.Ordinal) { ["r"] = false, ["rw"] = true };

    internal static IReadOnlyList<string> ContextEntries { get; } = ["none", "passthrough", "domain"];

    internal static IReadOnlyDictionary<string, RegionKind> RegionKinds { get; } = new Dictionary<string, RegionKind>(StringComparer.Ordinal)
    {
        ["container"] = RegionKind.Container,
        ["ram"] = RegionKind.Ram,
        ["rom"] = RegionKind.Rom,
        ["rom-device"] = RegionKind.RomDevice,
        ["ram-device"] = RegionKind.RamDevice,
        ["io"] = RegionKind.Io,
        ["iommu"] = RegionKind.Iommu,
        ["alias"] = RegionKind.Alias,
    };

    internal static IReadOnlyDictionary<string, PamMode> PamModes { get; } = new Dictionary<string, PamMode>(StringComparer.Ordinal)
    {
        ["pci"] = PamMode.Pci,
        ["read-only"] = PamMode.ReadOnly,
        ["write-only"] = PamMode.WriteOnly,
        ["read-write"] = PamMode.ReadWrite,
    };

    internal static IReadOnlyDictionary<string, ListenerKind> ListenerKinds { get; } = new Dictionary<string, ListenerKind>(StringComparer.Ordinal)
    {
        ["naive"] = ListenerKind.Naive,
        ["coalescing"] = ListenerKind.Coalescing,
    };

    internal static IReadOnlyDictionary<string, Type1Version> Versions { get; } = new Dictionary<string, Type1Version>(StringComparer.Ordinal)
    {
        ["v1"] = Type1Version.V1,
        ["v2"] = Type1Version.V2,
    };

    internal static IReadOnlyDictionary<string, AccountingMode> Accountings { get; } = new Dictionary<string, AccountingMode>(StringComparer.Ordinal)
    {
        ["per-mapping"] = AccountingMode.PerMapping,
        ["shared"] = AccountingMode.Shared,
    };

    internal static IReadOnlyDictionary<string, PageTableFormat> Formats { get; } =
        PageTableFormat.All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    internal static IReadOnlyDictionary<string, SplitPolicy> SplitPolicies { get; } = new Dictionary<string, SplitPolicy>(StringComparer.Ordinal)
    {
        ["split"] = SplitPolicy.Split,
        ["refuse"] = SplitPolicy.Refuse,
        ["whole-leaf"] = SplitPolicy.WholeLeaf,
    };

    internal static IReadOnlyDictionary<string, LiveLeafPolicy> LiveLeafPolicies { get; } = new Dictionary<string, LiveLeafPolicy>(StringComparer.Ordinal)
    {
        ["eexist"] = LiveLeafPolicy.Eexist,
        ["eaddrinuse"] = LiveLeafPolicy.Eaddrinuse,
        ["keep-old"] = LiveLeafPolicy.KeepOld,
        ["overwrite"] = LiveLeafPolicy.Overwrite,
    };

    internal static IReadOnlyDictionary<string, SubTablePolicy> SubTablePolicies { get; } = new Dictionary<string, SubTablePolicy>(StringComparer.Ordinal)
    {
        ["destroy"] = SubTablePolicy.DestroySubTable,
        ["empty-only"] = SubTablePolicy.EmptyOnly,
    };

    internal static IReadOnlyDictionary<string, InvalidationMode> InvalidationModes { get; } = new Dictionary<string, InvalidationMode>(StringComparer.Ordinal)
    {
        ["per-leaf"] = InvalidationMode.PerLeaf,
        ["range"] = InvalidationMode.Range,
        ["whole-domain"] = InvalidationMode.WholeDomainAboveThreshold,
    };

    internal static IReadOnlyDictionary<string, FlushMode> FlushModes { get; } = new Dictionary<string, FlushMode>(StringComparer.Ordinal)
    {
        ["strict"] = FlushMode.Strict,
        ["lazy"] = FlushMode.Lazy,
    };

    internal static IReadOnlyDictionary<string, Protection> Protections { get; } = new Dictionary<string, Protection>(StringComparer.Ordinal)
    {
        ["r"] = Protection.Read,
        ["w"] = Protection.Write,
        ["rw"] = Protection.ReadWrite,
    };

    internal static IReadOnlyDictionary<string, Type1DeviceCallback> Callbacks { get; } = new Dictionary<string, Type1DeviceCallback>(StringComparer.Ordinal)
    {
        ["none"] = Type1DeviceCallback.None,
        ["unpins-all"] = Type1DeviceCallback.UnpinsAll,
        ["unpins-nothing"] = Type1DeviceCallback.UnpinsNothing,
        ["unpins-one-page"] = Type1DeviceCallback.UnpinsOnePage,
    };

    internal static IReadOnlyDictionary<string, Type1MapFlags> MapFlags { get; } = new Dictionary<string, Type1MapFlags>(StringComparer.Ordinal)
    {
        ["rw"] = Type1MapFlags.Read | Type1MapFlags.Write,
        ["r"] = Type1MapFlags.Read,
        ["w"] = Type1MapFlags.Write,
        ["vaddr"] = Type1MapFlags.Vaddr,
        ["none"] = Type1MapFlags.None,
    };

    internal static IReadOnlyDictionary<string, Type1UnmapFlags> UnmapFlags { get; } = new Dictionary<string, Type1UnmapFlags>(StringComparer.Ordinal)
    {
        ["none"] = Type1UnmapFlags.None,
        ["all"] = Type1UnmapFlags.All,
        ["vaddr"] = Type1UnmapFlags.Vaddr,
        ["all+vaddr"] = Type1UnmapFlags.All | Type1UnmapFlags.Vaddr,
        ["dirty-bitmap"] = Type1UnmapFlags.GetDirtyBitmap,
    };

    internal static IReadOnlyDictionary<string, Errno> Errnos { get; } =
        Enum.GetValues<Errno>().ToDictionary(e => e == Errno.None ? "none" : e.ToString(), StringComparer.Ordinal);

    /// <summary>The JSON name of an accounting mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns><c>per-mapping</c> or <c>shared</c>.</returns>
    internal static string AccountingName(AccountingMode mode) => Accountings.First(a => a.Value == mode).Key;

    /// <summary>The JSON name of a region kind.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>Its name.</returns>
    internal static string KindName(RegionKind kind) => RegionKinds.First(k => k.Value == kind).Key;

    /// <summary>The JSON name of an errno value (<c>none</c> for success).</summary>
    /// <param name="errno">The value.</param>
    /// <returns>Its name.</returns>
    internal static string ErrnoName(Errno errno) => errno == Errno.None ? "none" : errno.ToString();

    /// <summary>The JSON name of <paramref name="value"/> in one of the reader's vocabularies (callbacks,
    /// protections, split policies, ...): what the writer writes and step texts print.</summary>
    /// <typeparam name="T">The vocabulary's value type.</typeparam>
    /// <param name="names">The vocabulary.</param>
    /// <param name="value">A value it names.</param>
    /// <returns>The name.</returns>
    internal static string NameOf<T>(IReadOnlyDictionary<string, T> names, T value) =>
        names.First(n => EqualityComparer<T>.Default.Equals(n.Value, value)).Key;

    /// <summary>The JSON form of MAP_DMA flags: a name, or the raw bits as a hex string.</summary>
    /// <param name="flags">The flags.</param>
    /// <returns>The text.</returns>
    internal static string MapFlagsName(Type1MapFlags flags) => FlagsName(MapFlags, flags, (uint)flags);

    /// <summary>The JSON form of UNMAP_DMA flags: a name, or the raw bits as a hex string.</summary>
    /// <param name="flags">The flags.</param>
    /// <returns>The text.</returns>
    internal static string UnmapFlagsName(Type1UnmapFlags flags) => FlagsName(UnmapFlags, flags, (uint)flags);

    private static string FlagsName<T>(IReadOnlyDictionary<string, T> names, T flags, uint bits) =>
        names.FirstOrDefault(n => EqualityComparer<T>.Default.Equals(n.Value, flags)).Key ?? string.Create(CultureInfo.InvariantCulture, $"0x{bits:x}");

    // A known name, or the raw bits as a number (a generated case may send flags the kernel refuses).
    internal static T ReadFlags<T>(JsonWalker b, IReadOnlyDictionary<string, T> names, Func<uint, T> fromBits, T absent)
    {
        if (!b.Has("flags"))
        {
            return absent;
        }

        string path = JsonWalker.Child(b.Path, "flags");
        string text = JsonWalker.AsString(b.Required("flags"), path);
        if (names.TryGetValue(text, out var named))
        {
            return named;
        }

        return ScenarioNumbers.TryParse(text, out UInt128 bits) && bits <= uint.MaxValue
            ? fromBits((uint)bits)
            : throw new ScenarioFormatException(path, $"expected one of {string.Join(", ", names.Keys.Select(k => $"\"{k}\""))} or the flags as a 32-bit number, got \"{text}\"");
    }

}
