using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Reads the scenario format strictly (docs/scenario-format.md): an unknown step kind or field, a missing field,
/// a value of the wrong form or a number that does not fit is one <see cref="ScenarioFormatException"/> naming
/// the JSON path and what was expected. Nothing is returned from a file that does not read cleanly.
/// </summary>
public static class ScenarioReader
{
    /// <summary>Every step kind version 1 knows, in the order the format documents them.</summary>
    public static ImmutableArray<string> StepKinds { get; } =
    [
        "root", "layout", "define", "place", "unplace", "move", "set",
        "pam", "bar", "bar-move", "rom-mode", "dimm", "virtio-mem",
        "commit", "view",
        "listener", "process", "container", "hotplug", "unplug", "map", "unmap", "unmap-all",
        "device", "pin", "unpin", "map-dma", "unmap-dma", "dma-access", "migrate",
        "page-table", "pt-map", "pt-unmap", "pt-sync", "pt-flush", "pt-access",
        "viommu", "guest-hotplug", "guest-unplug", "remapping", "context", "guest-map", "guest-unmap", "invalidate",
        "guest-pin", "guest-unpin",
    ];

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
    private static readonly Dictionary<string, bool> PinProtections = new(StringComparer.Ordinal) { ["r"] = false, ["rw"] = true };

    private static readonly string[] ContextEntries = ["none", "passthrough", "domain"];

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

    private static readonly string[] Type1OnlyFields = ["process", "version", "accounting", "page-size", "domains", "valid-iova", "wrap-errno"];

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
    private static T ReadFlags<T>(JsonWalker b, IReadOnlyDictionary<string, T> names, Func<uint, T> fromBits, T absent)
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

    private static MigrateStep ReadMigrate(JsonWalker b)
    {
        var step = new MigrateStep(b.String("process"), b.Address("hva"), b.Address("size"), b.Address("to"));
        foreach (var (name, value) in new[] { ("hva", step.Hva), ("size", step.Size), ("to", step.To) })
        {
            if (value % 0x1000 != 0 || (name == "size" && value == 0))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, name), $"expected a{(name == "size" ? " non-zero" : "n")} multiple of 4K, got 0x{value:x}");
            }
        }

        return step;
    }

    private static readonly Dictionary<string, Errno> Errnos =
        Enum.GetValues<Errno>().ToDictionary(e => e == Errno.None ? "none" : e.ToString(), StringComparer.Ordinal);

    /// <summary>Reads a scenario file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ScenarioFormatException">The file does not read cleanly.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Scenario ReadFile(string path) => Read(File.ReadAllText(path));

    /// <summary>Reads scenario text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ScenarioFormatException">The text does not read cleanly.</exception>
    public static Scenario Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException error)
        {
            throw new ScenarioFormatException(error.Path is { Length: > 0 } p ? p : "$",
                string.Create(CultureInfo.InvariantCulture, $"not valid JSON at line {(error.LineNumber ?? 0) + 1}, byte {(error.BytePositionInLine ?? 0) + 1}"));
        }

        using (document)
        {
            return ReadRoot(document.RootElement);
        }
    }

    private static Scenario ReadRoot(JsonElement root)
    {
        var top = new JsonWalker(root, "$");
        string format = top.String("format");
        if (format != Scenario.FormatName)
        {
            throw new ScenarioFormatException("$.format", $"expected \"{Scenario.FormatName}\", got \"{format}\"");
        }

        int version = top.Int("version", 1, int.MaxValue);
        if (version != Scenario.CurrentVersion)
        {
            throw new ScenarioFormatException("$.version", string.Create(CultureInfo.InvariantCulture,
                $"expected {Scenario.CurrentVersion}, got {version}: this version of verify reads only version {Scenario.CurrentVersion}"));
        }

        var header = new ScenarioHeader(top.OptionalString("title"), top.OptionalString("suite"), top.OptionalString("property"), top.OptionalString("replay"));
        if (header.Replay is { } replay)
        {
            try
            {
                _ = Running.ReplaySeed.Parse(replay);
            }
            catch (FormatException)
            {
                throw new ScenarioFormatException("$.replay", $"expected a replay seed \"seed,gamma,size\", got \"{replay}\"");
            }
        }

        var stepsElement = top.Required("steps");
        top.Done();
        if (stepsElement.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected("$.steps", "an array of steps", stepsElement);
        }

        var steps = ImmutableArray.CreateBuilder<ScenarioStep>();
        int i = 0;
        foreach (var element in stepsElement.EnumerateArray())
        {
            steps.Add(ReadStep(element, string.Create(CultureInfo.InvariantCulture, $"$.steps[{i++}]")));
        }

        return new Scenario(version, header, steps.ToImmutable());
    }

    private static ScenarioStep ReadStep(JsonElement element, string path)
    {
        var walker = new JsonWalker(element, path);
        var kinds = walker.Names.Where(n => n is not ("expect" or "note")).ToList();
        if (kinds.Count != 1 || !StepKinds.Contains(kinds[0]))
        {
            string found = kinds.Count == 0 ? "none" : string.Join(", ", kinds.Select(k => $"'{k}'"));
            string problem = kinds.Count == 1
                ? $"unknown step kind '{kinds[0]}'; expected one of {string.Join(", ", StepKinds)}"
                : $"a step holds exactly one operation (one of {string.Join(", ", StepKinds)}) besides 'expect' and 'note'; found {found}";
            throw new ScenarioFormatException(kinds.Count == 1 ? JsonWalker.Child(path, kinds[0]) : path, problem);
        }

        string kind = kinds[0];
        string at = JsonWalker.Child(path, kind);
        var body = new JsonWalker(walker.Required(kind), at);
        var step = ReadBody(kind, body);
        body.Done();
        var expect = walker.Optional("expect") is { } e ? ReadExpectations(e, JsonWalker.Child(path, "expect")) : StepExpectations.None;
        string? note = walker.OptionalString("note");
        walker.Done();
        return step with { Expect = expect, Note = note };
    }

    private static ScenarioStep ReadBody(string kind, JsonWalker b) => kind switch
    {
        "root" => new RootStep(b.String("name")),
        "layout" => ReadLayout(b),
        "define" => new DefineStep(ReadRegion(b)),
        "place" => new PlaceStep(b.String("child"), b.String("parent"), b.Address("address"), b.OptionalInt("priority", int.MinValue, int.MaxValue) ?? 0),
        "unplace" => new UnplaceStep(b.String("region")),
        "move" => new MoveStep(b.String("region"), b.Address("address")),
        "set" => ReadSet(b),
        "pam" => new MachineStep(new LayoutOperation.SetPam(b.Int("segment", 0, 63), b.Choice("mode", PamModes))),
        "bar" => new MachineStep(new LayoutOperation.SetBarEnabled(b.String("bar"), b.Bool("enabled"))),
        "bar-move" => new MachineStep(new LayoutOperation.MoveBar(b.String("bar"), b.Address("address"))),
        "rom-mode" => new MachineStep(new LayoutOperation.SetRomMode(b.String("device"), b.Bool("romd"))),
        "dimm" => new MachineStep(new LayoutOperation.HotAddDimm(b.Int("slot", 0, 1023))),
        "virtio-mem" => new MachineStep(new LayoutOperation.SetVirtioMemBlock(b.Int("block", 0, 1023), b.Bool("plugged"))),
        "commit" => new CommitStep(),
        "view" => ReadView(b),
        "listener" => ReadListener(b),
        "process" => ReadProcess(b),
        "container" => ReadContainer(b),
        "hotplug" => new HotplugStep(b.String("container"), b.String("listener")),
        "unplug" => new UnplugStep(b.String("container")),
        "map" => new MapStep(b.String("container"), ReadMapping(b)),
        "unmap" => new UnmapStep(b.String("container"), ReadRange(b, "iova", "size")),
        "unmap-all" => new UnmapAllStep(b.String("container")),
        "device" => new DeviceStep(b.String("container"), b.String("name"), b.Choice("callback", Callbacks)),
        "pin" => new PinStep(b.String("container"), b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096),
            b.Has("prot") ? b.Choice("prot", Protections) : Protection.ReadWrite),
        "unpin" => new UnpinStep(b.String("container"), b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096)),
        "map-dma" => new MapDmaStep(b.String("container"), ReadFlags(b, MapFlags, bits => (Type1MapFlags)bits, Type1MapFlags.Read | Type1MapFlags.Write),
            b.Address("iova"), b.Address("vaddr"), b.Address("size")),
        "unmap-dma" => new UnmapDmaStep(b.String("container"), ReadFlags(b, UnmapFlags, bits => (Type1UnmapFlags)bits, Type1UnmapFlags.None),
            b.OptionalAddress("iova") ?? 0, b.OptionalAddress("size") ?? 0),
        "dma-access" => new DmaAccessStep(b.String("container"), b.Address("iova")),
        "migrate" => ReadMigrate(b),
        "page-table" => ReadPageTable(b),
        "pt-map" => new PageTableMapStep(b.String("table"), b.Address("iova"), b.Address("paddr"), b.Address("size"),
            b.Has("prot") ? b.Choice("prot", Protections) : Protection.ReadWrite),
        "pt-unmap" => new PageTableUnmapStep(b.String("table"), b.Address("iova"), b.Address("size")),
        "pt-sync" => new PageTableSyncStep(b.String("table")),
        "pt-flush" => new PageTableFlushStep(b.String("table")),
        "pt-access" => new PageTableAccessStep(b.String("table"), b.Address("iova")),
        "viommu" => ReadViommu(b),
        "guest-hotplug" => new GuestHotplugStep(b.String("device")),
        "guest-unplug" => new GuestUnplugStep(b.String("device")),
        "remapping" => new RemappingStep(b.Bool("on")),
        "context" => ReadContext(b),
        "guest-map" => new GuestMapStep(b.Int("domain", 1, int.MaxValue), ReadGuestRange(b), b.Address("gpa"), b.OptionalBool("writable") ?? true),
        "guest-unmap" => new GuestUnmapStep(b.Int("domain", 1, int.MaxValue), ReadGuestRange(b)),
        "invalidate" => ReadInvalidate(b),
        "guest-pin" => new GuestPinStep(b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096), !b.Has("prot") || b.Choice("prot", PinProtections)),
        "guest-unpin" => new GuestUnpinStep(b.String("device"), b.Address("iova"), b.Int("npage", 0, 4096)),
        _ => throw new ScenarioFormatException(b.Path, $"unknown step kind '{kind}'"),
    };

    private static ViommuStep ReadViommu(JsonWalker b)
    {
        var kind = b.Choice("kind", GuestIommuKinds);
        if (kind == GuestIommuKind.VirtioIommu && b.Has("caching-mode"))
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "caching-mode"), "only a vt-d vIOMMU has a caching mode");
        }

        var options = GuestIommuOptions.Default with
        {
            Kind = kind,
            CachingMode = b.OptionalBool("caching-mode") ?? true,
            Switch = b.Has("switch") ? b.Choice("switch", Switches) : RemappingSwitch.TwoTransactions,
            Listener = b.Has("listener") ? b.Choice("listener", RamListeners) : RamListenerKind.QemuToday,
        };
        return new ViommuStep(options, b.Has("accounting") ? b.Choice("accounting", Accountings) : AccountingMode.PerMapping)
        {
            Process = b.OptionalString("process") ?? ViommuStep.DefaultProcess,
            Memlock = b.Optional("memlock") is { } rule ? ReadMemlockRule(rule, JsonWalker.Child(b.Path, "memlock")) : null,
        };
    }

    private static ContextStep ReadContext(JsonWalker b)
    {
        string device = b.String("device");
        string entry = b.String("entry");
        string at = JsonWalker.Child(b.Path, "entry");
        if (!ContextEntries.Contains(entry))
        {
            throw new ScenarioFormatException(at, $"expected one of {string.Join(", ", ContextEntries)}, got \"{entry}\"");
        }

        if (entry != "domain")
        {
            if (b.Has("domain"))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "domain"), $"only a 'domain' entry names a domain; this one is '{entry}'");
            }

            return new ContextStep(device, entry == "none" ? ContextEntry.None : ContextEntry.Passthrough);
        }

        return new ContextStep(device, ContextEntry.InDomain(b.Int("domain", 1, int.MaxValue)));
    }

    private static GuestInvalidateStep ReadInvalidate(JsonWalker b)
    {
        var scope = b.Choice("scope", InvalidationScopes);
        if (scope == InvalidationScope.Global)
        {
            foreach (string field in new[] { "domain", "iova", "size" }.Where(b.Has))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, field), "a global invalidation names no domain and no pages");
            }

            return new GuestInvalidateStep(GuestInvalidation.Global);
        }

        int domain = b.Int("domain", 1, int.MaxValue);
        if (scope == InvalidationScope.Domain)
        {
            foreach (string field in new[] { "iova", "size" }.Where(b.Has))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, field), "a domain invalidation names no pages; use scope \"pages\"");
            }

            return new GuestInvalidateStep(GuestInvalidation.OfDomain(domain));
        }

        return new GuestInvalidateStep(GuestInvalidation.OfPages(domain, ReadGuestRange(b)));
    }

    // A guest request covers at least one byte; whether it is aligned and inside the address width is the vIOMMU's
    // answer (a refusal), not a format error.
    private static AddressRange ReadGuestRange(JsonWalker b)
    {
        var range = ReadRange(b, "iova", "size");
        return range.IsEmpty ? throw new ScenarioFormatException(JsonWalker.Child(b.Path, "size"), "expected a size above 0") : range;
    }

    private static ProcessStep ReadProcess(JsonWalker b)
    {
        var step = new ProcessStep(b.String("name")) { Rlimit = b.OptionalAddress("rlimit"), CapIpcLock = b.OptionalBool("cap-ipc-lock") ?? false };
        var memory = ReadList(b, "memory", "an array of { hva, size, hpa }", w => new VirtualRun(w.Address("hva"), w.Address("size"), w.Address("hpa")));
        var reserved = ReadList(b, "reserved", "an array of { hpa, size }", w => new PhysicalRange(w.Address("hpa"), w.Address("size")));
        if (memory.IsEmpty && !reserved.IsEmpty)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "reserved"), "only a process that declares its 'memory' has reserved ranges of its own");
        }

        return step with { Memory = memory, Reserved = reserved };
    }

    // An optional array of objects, each read strictly.
    private static ImmutableArray<T> ReadList<T>(JsonWalker b, string name, string what, Func<JsonWalker, T> read)
    {
        if (b.Optional(name) is not { } array)
        {
            return [];
        }

        string path = JsonWalker.Child(b.Path, name);
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected(path, what, array);
        }

        var items = ImmutableArray.CreateBuilder<T>();
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            var w = new JsonWalker(element, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"));
            items.Add(read(w));
            w.Done();
        }

        return items.ToImmutable();
    }

    private static LayoutStep ReadLayout(JsonWalker b)
    {
        string machine = b.String("machine");
        if (!LayoutStep.Machines.Contains(machine))
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "machine"), $"expected one of {string.Join(", ", LayoutStep.Machines)}, got \"{machine}\"");
        }

        ulong ram = b.Address("ram");
        if (ram == 0 || ram % 0x10_0000 != 0)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "ram"), $"expected a whole number of MiB above 0, got 0x{ram:x}");
        }

        return new LayoutStep(machine, ram);
    }

    private static MemoryRegion ReadRegion(JsonWalker b)
    {
        string name = b.String("name");
        var kind = b.Choice("kind", RegionKinds);
        var size = b.Size("size");
        if (size > AddressSpace.End)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "size"), "expected a size of at most 2^64");
        }

        var region = new MemoryRegion(name, kind, size)
        {
            Enabled = b.OptionalBool("enabled") ?? true,
            ReadOnly = b.OptionalBool("readonly") ?? kind == RegionKind.Rom,
            NonVolatile = b.OptionalBool("nonvolatile") ?? false,
            Unmergeable = b.OptionalBool("unmergeable") ?? false,
            DirtyLogMask = (byte)(b.OptionalInt("dirty", 0, 255) ?? 0),
            RomdMode = b.OptionalBool("romd") ?? true,
        };
        if (kind == RegionKind.Alias)
        {
            region = region with { AliasTarget = b.String("target"), AliasOffset = b.OptionalAddress("offset") ?? 0 };
        }

        return region;
    }

    private static SetStep ReadSet(JsonWalker b)
    {
        var step = new SetStep(b.String("region"))
        {
            Enabled = b.OptionalBool("enabled"),
            ReadOnly = b.OptionalBool("readonly"),
            NonVolatile = b.OptionalBool("nonvolatile"),
            Unmergeable = b.OptionalBool("unmergeable"),
            DirtyLogMask = b.OptionalInt("dirty", 0, 255) is { } d ? (byte)d : null,
            RomdMode = b.OptionalBool("romd"),
            AliasOffset = b.OptionalAddress("alias-offset"),
        };
        return step;
    }

    private static ViewStep ReadView(JsonWalker b)
    {
        string path = JsonWalker.Child(b.Path, "ranges");
        var array = b.Required("ranges");
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected(path, "an array of ranges", array);
        }

        var ranges = ImmutableArray.CreateBuilder<FlatRange>();
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            var r = new JsonWalker(element, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"));
            var range = ReadRange(r, "start", "end", endIsBound: true);
            var flat = new FlatRange(range, r.String("region"), r.Choice("kind", RegionKinds), r.OptionalAddress("offset") ?? 0,
                ReadOnly: r.OptionalBool("readonly") ?? false,
                NonVolatile: r.OptionalBool("nonvolatile") ?? false,
                RomdMode: r.OptionalBool("romd") ?? true,
                DirtyLogMask: (byte)(r.OptionalInt("dirty", 0, 255) ?? 0),
                Unmergeable: r.OptionalBool("unmergeable") ?? false,
                Priority: r.OptionalInt("priority", int.MinValue, int.MaxValue) ?? 0);
            r.Done();
            ranges.Add(flat);
        }

        return new ViewStep(ranges.ToImmutable());
    }

    private static ListenerStep ReadListener(JsonWalker b)
    {
        string name = b.String("name");
        var kind = b.Choice("kind", ListenerKinds);
        var options = ReadDmaOptions(b);
        var step = new ListenerStep(name, kind, options);
        if (kind == ListenerKind.Coalescing)
        {
            string granularity = b.OptionalString("granularity") ?? "per-range";
            if (!ListenerStep.Granularities.Contains(granularity))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "granularity"),
                    $"expected one of {string.Join(", ", ListenerStep.Granularities)}, got \"{granularity}\"");
            }

            ulong granule = b.OptionalAddress("granule") ?? 0x20_0000;
            if (!ulong.IsPow2(granule) || granule < 0x1000)
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "granule"), $"expected a power of two of at least 4K, got 0x{granule:x}");
            }

            step = step with { Granularity = granularity, Granule = granule };
        }

        return step;
    }

    private static DmaOptions ReadDmaOptions(JsonWalker b)
    {
        ulong hostPage = b.OptionalAddress("host-page") ?? 0x1000;
        ulong iommuPage = b.OptionalAddress("iommu-page") ?? 0x1000;
        foreach (var (name, value) in new[] { ("host-page", hostPage), ("iommu-page", iommuPage) })
        {
            if (!ulong.IsPow2(value) || value < 0x1000)
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, name), $"expected a power of two of at least 4K, got 0x{value:x}");
            }
        }

        return new DmaOptions { HostPageSize = hostPage, IommuMinPageSize = iommuPage };
    }

    private static DmaBackendTraits ReadTraits(JsonWalker b) => new()
    {
        UnmapMayBisect = b.OptionalBool("bisect") ?? false,
        SupportsUnmapAll = b.OptionalBool("unmap-all") ?? true,
        EntryLimit = b.OptionalInt("entry-limit", 1, int.MaxValue) ?? DmaBackendTraits.DefaultEntryLimit,
    };

    /// <summary>The JSON name of an accounting mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns><c>per-mapping</c> or <c>shared</c>.</returns>
    internal static string AccountingName(AccountingMode mode) => Accountings.First(a => a.Value == mode).Key;

    private static ContainerStep ReadContainer(JsonWalker b)
    {
        var step = new ContainerStep(b.String("name"), ReadTraits(b));
        if (!step.IsType1)
        {
            // bisect: true is the split-capable model, which has no process, version or domains: say so rather
            // than ignore a field the author thought meant something.
            foreach (string field in Type1OnlyFields)
            {
                if (b.Has(field))
                {
                    throw new ScenarioFormatException(JsonWalker.Child(b.Path, field), $"only a type1 container has '{field}'; this one has bisect: true");
                }
            }

            return step;
        }

        step = step with
        {
            Process = b.OptionalString("process") ?? ContainerStep.DefaultProcess,
            Version = b.Has("version") ? b.Choice("version", Versions) : Type1Version.V2,
            Accounting = b.Has("accounting") ? b.Choice("accounting", Accountings) : AccountingMode.PerMapping,
        };
        if (b.Optional("domains") is { } domains)
        {
            string path = JsonWalker.Child(b.Path, "domains");
            if (domains.ValueKind != JsonValueKind.Array)
            {
                throw JsonWalker.Expected(path, "an array of page-table formats", domains);
            }

            int i = 0;
            var formats = ImmutableArray.CreateBuilder<PageTableFormat>();
            var splits = ImmutableArray.CreateBuilder<SplitPolicy>();
            foreach (var element in domains.EnumerateArray())
            {
                string at = string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]");
                if (element.ValueKind == JsonValueKind.Object)
                {
                    // { "format", "split" }: a domain with another split policy than the kernel's.
                    var d = new JsonWalker(element, at);
                    formats.Add(d.Choice("format", Formats));
                    splits.Add(d.Has("split") ? d.Choice("split", SplitPolicies) : SplitPolicy.Split);
                    d.Done();
                    continue;
                }

                string name = JsonWalker.AsString(element, at);
                formats.Add(Formats.TryGetValue(name, out var format)
                    ? format
                    : throw new ScenarioFormatException(at, $"expected one of {string.Join(", ", Formats.Keys.Select(k => $"\"{k}\""))}, got \"{name}\""));
                splits.Add(SplitPolicy.Split);
            }

            step = step with
            {
                Domains = formats.ToImmutable(),
                Splits = splits.All(x => x == SplitPolicy.Split) ? [] : splits.ToImmutable(),
            };
        }

        var valid = ReadList(b, "valid-iova", "an array of { start, end }", w => ReadRange(w, "start", "end", endIsBound: true));
        for (int k = 1; k < valid.Length; k++)
        {
            if (valid[k].Start < valid[k - 1].End || valid[k].IsEmpty)
            {
                throw new ScenarioFormatException(string.Create(CultureInfo.InvariantCulture, $"{JsonWalker.Child(b.Path, "valid-iova")}[{k}]"),
                    "expected non-empty ranges in ascending order, none overlapping the one before");
            }
        }

        step = step with { ValidIova = valid, WrapErrno = b.Has("wrap-errno") ? b.Choice("wrap-errno", Errnos) : Errno.EOVERFLOW };
        if (b.OptionalAddress("page-size") is { } page)
        {
            if (!ulong.IsPow2(page) || page < 0x1000 || step.Domains.Any(d => page % d.Granule != 0))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "page-size"),
                    $"expected a power of two of at least 4K that every domain's granule divides, got 0x{page:x}");
            }

            step = step with { PageSize = page };
        }

        return step;
    }

    private static PageTableStep ReadPageTable(JsonWalker b)
    {
        string name = b.String("name");
        var options = new PageTableOptions
        {
            Format = b.Choice("format", Formats),
            Split = b.Has("split") ? b.Choice("split", SplitPolicies) : SplitPolicy.Split,
            LiveLeaf = b.Has("live-leaf") ? b.Choice("live-leaf", LiveLeafPolicies) : LiveLeafPolicy.Eexist,
            SubTable = b.Has("sub-table") ? b.Choice("sub-table", SubTablePolicies) : SubTablePolicy.DestroySubTable,
            Invalidation = b.Has("invalidation") ? b.Choice("invalidation", InvalidationModes) : InvalidationMode.PerLeaf,
            Flush = b.Has("flush") ? b.Choice("flush", FlushModes) : FlushMode.Strict,
            WholeDomainThreshold = b.OptionalInt("threshold", 1, int.MaxValue) ?? PageTableOptions.DefaultWholeDomainThreshold,
            MaxTablePages = b.OptionalInt("max-table-pages", 1, int.MaxValue),
        };
        return new PageTableStep(name, options);
    }

    private static DmaMapping ReadMapping(JsonWalker b)
    {
        var iova = ReadRange(b, "iova", "size");
        if (iova.IsEmpty)
        {
            // An empty MAP is a legal request (the kernel answers EINVAL), but DmaMapping cannot hold it.
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "size"), "expected a size above 0 (a mapping is never empty)");
        }

        return new DmaMapping(iova, b.String("region"), b.OptionalAddress("offset") ?? 0, b.OptionalBool("writable") ?? true);
    }

    private static AddressRange ReadRange(JsonWalker b, string startName, string otherName, bool endIsBound = false)
    {
        ulong start = b.Address(startName);
        UInt128 other = b.Size(otherName);
        UInt128 end = endIsBound ? other : (UInt128)start + other;
        if (end < start || end > AddressSpace.End)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, otherName), endIsBound
                ? $"expected an end in [0x{start:x}, 2^64], got {ScenarioNumbers.Format(other > AddressSpace.End ? AddressSpace.End : other)}"
                : $"expected a size that keeps the range inside 2^64 from 0x{start:x}");
        }

        return AddressRange.FromBounds(start, end);
    }

    private static StepExpectations ReadExpectations(JsonElement element, string path)
    {
        var e = new JsonWalker(element, path);
        var result = StepExpectations.None;
        if (e.Optional("ranges") is { } ranges)
        {
            result = result with { Ranges = StringArray(ranges, JsonWalker.Child(path, "ranges")) };
        }

        if (e.Has("errno"))
        {
            result = result with { Errno = e.Choice("errno", Errnos) };
        }

        if (e.OptionalSize("size") is { } size)
        {
            result = result with { Size = size };
        }

        if (e.Optional("translations") is { } translations)
        {
            string tp = JsonWalker.Child(path, "translations");
            if (translations.ValueKind != JsonValueKind.Array)
            {
                throw JsonWalker.Expected(tp, "an array of translations", translations);
            }

            var list = ImmutableArray.CreateBuilder<TranslationExpectation>();
            int i = 0;
            foreach (var t in translations.EnumerateArray())
            {
                var w = new JsonWalker(t, string.Create(CultureInfo.InvariantCulture, $"{tp}[{i++}]"));
                var targets = new[] { "container", "table", "device" }.Where(w.Names.Contains).ToList();
                if (targets.Count > 1)
                {
                    throw new ScenarioFormatException(w.Path, "a translation names one 'container', 'table' or 'device', not several");
                }

                string field = targets.FirstOrDefault() ?? "container";
                list.Add(new TranslationExpectation(w.String(field), w.Address("iova"), w.NullableString("to")) { OfPageTable = field == "table", OfDevice = field == "device" });
                w.Done();
            }

            result = result with { Translations = list.ToImmutable() };
        }

        if (e.Optional("ioctls") is { } ioctls)
        {
            result = result with { Ioctls = PerContainer(ioctls, JsonWalker.Child(path, "ioctls"), (v, p) => JsonWalker.AsInt(v, p, 0, int.MaxValue)) };
        }

        if (e.Optional("collateral") is { } collateral)
        {
            result = result with { Collateral = PerContainer(collateral, JsonWalker.Child(path, "collateral"), JsonWalker.AsSize) };
        }

        if (e.Optional("mappings") is { } mappings)
        {
            result = result with { Mappings = PerContainer(mappings, JsonWalker.Child(path, "mappings"), StringArray) };
        }

        if (e.Optional("leaves") is { } leaves)
        {
            result = result with { Leaves = PerContainer(leaves, JsonWalker.Child(path, "leaves"), StringArray) };
        }

        if (e.Optional("stale") is { } stale)
        {
            result = result with { Stale = PerContainer(stale, JsonWalker.Child(path, "stale"), StringArray) };
        }

        if (e.Optional("locked-vm") is { } lockedVm)
        {
            result = result with { LockedVm = PerContainer(lockedVm, JsonWalker.Child(path, "locked-vm"), JsonWalker.AsSize) };
        }

        if (e.Optional("pinned") is { } pinned)
        {
            result = result with { Pinned = PerContainer(pinned, JsonWalker.Child(path, "pinned"), (v, p) => JsonWalker.AsInt(v, p, 0, int.MaxValue)) };
        }

        if (e.Optional("pfns") is { } pfns)
        {
            string pp = JsonWalker.Child(path, "pfns");
            if (pfns.ValueKind != JsonValueKind.Array)
            {
                throw JsonWalker.Expected(pp, "an array of host physical addresses", pfns);
            }

            int i = 0;
            result = result with { Pfns = [.. pfns.EnumerateArray().Select(a => JsonWalker.AsAddress(a, string.Create(CultureInfo.InvariantCulture, $"{pp}[{i++}]")))] };
        }

        if (e.OptionalBool("kernel-bug") is { } bug)
        {
            result = result with { KernelBug = bug };
        }

        if (e.Optional("external-pins") is { } external)
        {
            result = result with { ExternalPins = PerContainer(external, JsonWalker.Child(path, "external-pins"), StringArray) };
        }

        if (e.Has("refused"))
        {
            result = result with { Refused = e.Choice("refused", Refusals) };
        }

        if (e.Optional("memlock-limit") is { } memlock)
        {
            result = result with { MemlockLimit = PerContainer(memlock, JsonWalker.Child(path, "memlock-limit"), ReadMemlockRule) };
        }

        e.Done();
        return result;
    }

    private static MemlockRule ReadMemlockRule(JsonElement element, string path)
    {
        var w = new JsonWalker(element, path);
        string rule = w.String("rule");
        if (!MemlockRule.Rules.Contains(rule))
        {
            throw new ScenarioFormatException(JsonWalker.Child(path, "rule"), $"expected one of {string.Join(", ", MemlockRule.Rules)}, got \"{rule}\"");
        }

        var result = new MemlockRule(rule, w.Address("guest-ram"), w.OptionalInt("vfio-devices", 0, 4096) ?? 1, w.OptionalBool("viommu") ?? false);
        w.Done();
        return result;
    }

    private static ImmutableSortedDictionary<string, T> PerContainer<T>(JsonElement element, string path, Func<JsonElement, string, T> read)
    {
        var w = new JsonWalker(element, path);
        var result = ImmutableSortedDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
        foreach (var name in w.Names.ToList())
        {
            result[name] = read(w.Required(name), JsonWalker.Child(path, name));
        }

        w.Done();
        return result.ToImmutable();
    }

    private static ImmutableArray<string> StringArray(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw JsonWalker.Expected(path, "an array of strings", element);
        }

        int i = 0;
        return [.. element.EnumerateArray().Select(s => JsonWalker.AsString(s, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]")))];
    }
}
