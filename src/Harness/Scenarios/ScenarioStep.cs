using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Layouts;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>
/// One step of a scenario: an operation (one record per step kind, named in JSON by <see cref="Kind"/>) and what
/// must hold after it. Tree edits and machine operations are staged and take effect at the next
/// <see cref="CommitStep"/>, as QEMU's edits take effect at the end of a memory transaction.
/// </summary>
public abstract record ScenarioStep
{
    private protected ScenarioStep()
    {
    }

    /// <summary>The step's key in JSON (<c>define</c>, <c>commit</c>, <c>map</c>, ...).</summary>
    public abstract string Kind { get; }

    /// <summary>What must hold after the step; <see cref="StepExpectations.None"/> when nothing is recorded.</summary>
    public StepExpectations Expect { get; init; } = StepExpectations.None;

    /// <summary>Optional human note kept with the step (why it is there).</summary>
    public string? Note { get; init; }
}

/// <summary>Starts a region tree whose root is a 2^64 container.</summary>
/// <param name="Name">The root's name.</param>
public sealed record RootStep(string Name) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "root";

    /// <inheritdoc/>
    public override string ToString() => $"root {Name}";
}

/// <summary>Starts from a realistic machine (<see cref="MachineLayout"/>): <c>pc</c>, <c>q35</c> or <c>virt</c>.</summary>
/// <param name="Machine">The layout's name.</param>
/// <param name="Ram">Guest RAM in bytes.</param>
public sealed record LayoutStep(string Machine, ulong Ram) : ScenarioStep
{
    /// <summary>The machines a layout step can name.</summary>
    public static ImmutableArray<string> Machines { get; } = ["pc", "q35", "virt"];

    /// <inheritdoc/>
    public override string Kind => "layout";

    /// <summary>Builds the machine.</summary>
    /// <returns>The layout.</returns>
    public MachineLayout Build() => Machine switch
    {
        "pc" => MachineLayout.Pc(Ram),
        "q35" => MachineLayout.Q35(Ram),
        "virt" => MachineLayout.Virt(Ram),
        _ => throw new InvalidOperationException($"unknown machine '{Machine}'"),
    };

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"layout {Machine} ram={ScenarioNumbers.Format(Ram)}");
}

/// <summary>Defines a region without placing it (QEMU's <c>memory_region_init_*</c>).</summary>
/// <param name="Region">The region (no subregions).</param>
public sealed record DefineStep(MemoryRegion Region) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "define";

    /// <inheritdoc/>
    public override string ToString() => $"define {Region}";
}

/// <summary>Places a defined region in a parent (<c>memory_region_add_subregion_overlap</c>).</summary>
/// <param name="Child">The region to place.</param>
/// <param name="Parent">Where.</param>
/// <param name="Address">Offset in the parent.</param>
/// <param name="Priority">Priority among siblings.</param>
public sealed record PlaceStep(string Child, string Parent, ulong Address, int Priority) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "place";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"place {Child} in {Parent} at 0x{Address:x} prio {Priority}");
}

/// <summary>Removes a region's placement (<c>memory_region_del_subregion</c>).</summary>
/// <param name="Region">A placed region.</param>
public sealed record UnplaceStep(string Region) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "unplace";

    /// <inheritdoc/>
    public override string ToString() => $"unplace {Region}";
}

/// <summary>Moves a placed region (<c>memory_region_set_address</c>).</summary>
/// <param name="Region">A placed region.</param>
/// <param name="Address">The new offset in its parent.</param>
public sealed record MoveStep(string Region, ulong Address) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "move";

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"move {Region} to 0x{Address:x}");
}

/// <summary>Changes flags of a region, or an alias's offset; a null field is left as it is.</summary>
/// <param name="Region">A defined region.</param>
public sealed record SetStep(string Region) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "set";

    /// <summary><c>memory_region_set_enabled</c>.</summary>
    public bool? Enabled { get; init; }

    /// <summary><c>memory_region_set_readonly</c>.</summary>
    public bool? ReadOnly { get; init; }

    /// <summary><c>memory_region_set_nonvolatile</c>.</summary>
    public bool? NonVolatile { get; init; }

    /// <summary><c>memory_region_set_unmergeable</c>.</summary>
    public bool? Unmergeable { get; init; }

    /// <summary>The dirty-log mask.</summary>
    public byte? DirtyLogMask { get; init; }

    /// <summary><c>memory_region_rom_device_set_romd</c>.</summary>
    public bool? RomdMode { get; init; }

    /// <summary><c>memory_region_set_alias_offset</c> (aliases only).</summary>
    public ulong? AliasOffset { get; init; }

    /// <summary>Applies the changes to a region.</summary>
    /// <param name="r">The region as it is.</param>
    /// <returns>The changed region.</returns>
    public MemoryRegion ApplyTo(MemoryRegion r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r with
        {
            Enabled = Enabled ?? r.Enabled,
            ReadOnly = ReadOnly ?? r.ReadOnly,
            NonVolatile = NonVolatile ?? r.NonVolatile,
            Unmergeable = Unmergeable ?? r.Unmergeable,
            DirtyLogMask = DirtyLogMask ?? r.DirtyLogMask,
            RomdMode = RomdMode ?? r.RomdMode,
            AliasOffset = AliasOffset ?? r.AliasOffset,
        };
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        void Flag(string name, bool? value)
        {
            if (value is { } v)
            {
                parts.Add($"{name}={(v ? "on" : "off")}");
            }
        }

        Flag("enabled", Enabled);
        Flag("readonly", ReadOnly);
        Flag("nonvolatile", NonVolatile);
        Flag("unmergeable", Unmergeable);
        Flag("romd", RomdMode);
        if (DirtyLogMask is { } d) { parts.Add(string.Create(CultureInfo.InvariantCulture, $"dirty=0x{d:x}")); }
        if (AliasOffset is { } o) { parts.Add(string.Create(CultureInfo.InvariantCulture, $"alias-offset=0x{o:x}")); }
        return $"set {Region} {string.Join(' ', parts)}";
    }
}

/// <summary>An operation of the realistic machine started by a <see cref="LayoutStep"/> (PAM, BAR, ROM mode, DIMM,
/// virtio-mem); its JSON key names the operation.</summary>
/// <param name="Operation">The machine operation.</param>
public sealed record MachineStep(LayoutOperation Operation) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => KindOf(Operation);

    /// <summary>The JSON key of a machine operation.</summary>
    /// <param name="operation">The operation.</param>
    /// <returns>The key.</returns>
    public static string KindOf(LayoutOperation operation) => operation switch
    {
        LayoutOperation.SetPam => "pam",
        LayoutOperation.SetBarEnabled => "bar",
        LayoutOperation.MoveBar => "bar-move",
        LayoutOperation.SetRomMode => "rom-mode",
        LayoutOperation.HotAddDimm => "dimm",
        LayoutOperation.SetVirtioMemBlock => "virtio-mem",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "has no scenario form"),
    };

    /// <inheritdoc/>
    public override string ToString() => Operation.ToString() ?? Kind;
}

/// <summary>Ends a memory transaction: renders the tree, simplifies, and every listener sees the difference.</summary>
public sealed record CommitStep : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "commit";

    /// <inheritdoc/>
    public override string ToString() => "commit";
}

/// <summary>A transaction that installs an explicit FlatView (validated, then simplified as QEMU does) instead of
/// a rendered tree. Ranges may be invalid on purpose: the model must then refuse them as the oracle does.</summary>
/// <param name="Ranges">The ranges in the order given.</param>
public sealed record ViewStep(ImmutableArray<FlatRange> Ranges) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "view";

    /// <inheritdoc/>
    public bool Equals(ViewStep? other) => other is not null && Ranges.SequenceEqual(other.Ranges) && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => Ranges.Length;

    /// <inheritdoc/>
    public override string ToString() => $"view of {Ranges.Length} range(s)";
}

/// <summary>Which DMA listener a <see cref="ListenerStep"/> registers.</summary>
public enum ListenerKind
{
    /// <summary>QEMU's vfio listener today: one UNMAP per deleted section, one MAP per added one.</summary>
    Naive,

    /// <summary>The coalescing listener: compares DMA maps and plans per container history.</summary>
    Coalescing,
}

/// <summary>Registers a DMA listener on the address space. What a container allows (bisect, unmap-all, entry limit)
/// is the container's own (<see cref="ContainerStep"/>): the coalescing listener plans with each container's traits.</summary>
/// <param name="Name">The listener's name.</param>
/// <param name="Listener">Which listener.</param>
/// <param name="Options">Host page size and IOMMU page size of its section rules.</param>
public sealed record ListenerStep(string Name, ListenerKind Listener, DmaOptions Options) : ScenarioStep
{
    /// <summary>Granularities a coalescing listener accepts, as written in JSON.</summary>
    public static ImmutableArray<string> Granularities { get; } = ["per-range", "region-boundaries", "fixed-granule"];

    /// <summary>Coalescing only: where mappings are cut (one of <see cref="Granularities"/>).</summary>
    public string Granularity { get; init; } = "per-range";

    /// <summary>Coalescing only, with <c>fixed-granule</c>: the cut size.</summary>
    public ulong Granule { get; init; } = 0x20_0000;

    /// <inheritdoc/>
    public override string Kind => "listener";

    /// <summary>Compares the options by value (their protected-region set is compared as a set, not by reference).</summary>
    /// <param name="other">Another step.</param>
    /// <returns>Whether both register the same listener.</returns>
    public bool Equals(ListenerStep? other) =>
        other is not null && Name == other.Name && Listener == other.Listener && Granularity == other.Granularity && (Granularity != "fixed-granule" || Granule == other.Granule)
        && Options.HostPageSize == other.Options.HostPageSize && Options.IommuMinPageSize == other.Options.IommuMinPageSize
        && Options.ProtectedRegions.SetEquals(other.Options.ProtectedRegions) && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Listener, Granularity, Options.HostPageSize);

    /// <inheritdoc/>
    public override string ToString() => Listener == ListenerKind.Naive
        ? $"listener {Name} naive"
        : string.Create(CultureInfo.InvariantCulture, $"listener {Name} coalescing {Granularity}{(Granularity == "fixed-granule" ? $" granule=0x{Granule:x}" : "")}");
}

/// <summary>Creates a container not yet attached to any listener: a <see cref="Verify.IommuModel.Type1.Type1Container"/>
/// in the process named by <see cref="Process"/>, or, when <see cref="DmaBackendTraits.UnmapMayBisect"/> is set, the
/// split-capable <see cref="MappingSetBackend"/> (type1 can never cut a mapping, so that backend stays a separate model).</summary>
/// <param name="Name">The container's name.</param>
/// <param name="Backend">What it allows (bisect, unmap-all, entry limit).</param>
public sealed record ContainerStep(string Name, DmaBackendTraits Backend) : ScenarioStep
{
    /// <summary>The process a container belongs to when the step names none.</summary>
    public const string DefaultProcess = "qemu";

    /// <inheritdoc/>
    public override string Kind => "container";

    /// <summary>The process whose memory the container pins and charges (created unlimited on first use).</summary>
    public string Process { get; init; } = DefaultProcess;

    /// <summary>The type1 interface version (v2, what QEMU opens, unless the file says v1).</summary>
    public Type1Version Version { get; init; } = Type1Version.V2;

    /// <summary>How pins are charged to the process's <c>locked_vm</c>.</summary>
    public AccountingMode Accounting { get; init; } = AccountingMode.PerMapping;

    /// <summary>The alignment of every MAP and UNMAP; null for the largest granule of <see cref="Domains"/> (4 KiB
    /// without domains).</summary>
    public ulong? PageSize { get; init; }

    /// <summary>One page-table format per IOMMU domain; none is an mdev-only container, which pins nothing at MAP
    /// time and accepts any IOVA (the kernel's IOVA list is empty).</summary>
    public ImmutableArray<PageTableFormat> Domains { get; init; } = [];

    /// <summary>Each domain's split policy, parallel to <see cref="Domains"/>; empty when every domain splits (the
    /// kernel's behaviour; the other policies are variants of SEMANTICS.md 8).</summary>
    public ImmutableArray<SplitPolicy> Splits { get; init; } = [];

    /// <summary>The valid IOVA ranges (apertures minus reserved regions) when the file gives them; empty for the
    /// domains' aperture.</summary>
    public ImmutableArray<AddressRange> ValidIova { get; init; } = [];

    /// <summary>What MAP returns when an address range wraps (EOVERFLOW on newer kernels, EINVAL on older ones).</summary>
    public Errno WrapErrno { get; init; } = Errno.EOVERFLOW;

    /// <summary>The page-table options of each domain.</summary>
    /// <returns>One per domain, in order.</returns>
    public IEnumerable<PageTableOptions> DomainOptions() =>
        Domains.Select((f, i) => PageTableOptions.Default with { Format = f, Split = Splits.IsEmpty ? SplitPolicy.Split : Splits[i] });

    /// <summary>Whether the step creates a type1 container (everything but <c>bisect: true</c>).</summary>
    public bool IsType1 => !Backend.UnmapMayBisect;

    /// <summary>The type1 variant the step asks for: entry limit from <see cref="Backend"/>, the valid IOVA range
    /// the domains' aperture allows (the whole space without domains).</summary>
    /// <returns>The options.</returns>
    public Type1Options ToType1Options()
    {
        ulong page = PageSize ?? (Domains.IsEmpty ? 0x1000 : Domains.Max(d => d.Granule));
        UInt128 aperture = Domains.IsEmpty ? AddressSpace.End : Domains.Min(d => (UInt128)d.AddressLimit);
        return Type1Options.Default with
        {
            Version = Version,
            Accounting = Accounting,
            DmaEntryLimit = Backend.EntryLimit,
            MinPageSize = page,
            ValidIovaRanges = ValidIova.IsEmpty ? [AddressRange.FromBounds(0, aperture)] : ValidIova,
            WrapErrno = WrapErrno,
        };
    }

    /// <inheritdoc/>
    public bool Equals(ContainerStep? other) =>
        other is not null && Name == other.Name && Backend == other.Backend && Process == other.Process && Version == other.Version
        && Accounting == other.Accounting && PageSize == other.PageSize && Domains.SequenceEqual(other.Domains)
        && Splits.SequenceEqual(other.Splits) && ValidIova.SequenceEqual(other.ValidIova) && WrapErrno == other.WrapErrno
        && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Backend, Process, Version, Accounting);

    /// <inheritdoc/>
    public override string ToString()
    {
        if (!IsType1)
        {
            return $"container {Name} (bisect)";
        }

        string domains = Domains.IsEmpty ? "no domain" : "domains " + string.Join(",", DomainOptions().Select(d => d.Split == SplitPolicy.Split ? d.Format.Name : $"{d.Format.Name} ({d.Split})"));
        string variant = (ValidIova.IsEmpty ? "" : ", valid " + string.Join(",", ValidIova)) + (WrapErrno == Errno.EOVERFLOW ? "" : $", wrap {WrapErrno}");
        return string.Create(CultureInfo.InvariantCulture,
            $"container {Name} type1 {Version.ToString().ToLowerInvariant()} {ScenarioReader.AccountingName(Accounting)} in {Process}, {domains}{variant}");
    }
}

/// <summary>Attaches a container to a listener (a device hotplugged): the listener replays the current view into it.</summary>
/// <param name="Container">The container.</param>
/// <param name="Listener">The listener.</param>
public sealed record HotplugStep(string Container, string Listener) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "hotplug";

    /// <inheritdoc/>
    public override string ToString() => $"hotplug {Container} into {Listener}";
}

/// <summary>Detaches a container from its listener (a device unplugged).</summary>
/// <param name="Container">The container.</param>
public sealed record UnplugStep(string Container) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "unplug";

    /// <inheritdoc/>
    public override string ToString() => $"unplug {Container}";
}

/// <summary>A raw MAP_DMA on a container.</summary>
/// <param name="Container">The container.</param>
/// <param name="Mapping">What to map.</param>
public sealed record MapStep(string Container, DmaMapping Mapping) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "map";

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: MAP {Mapping}";
}

/// <summary>A raw UNMAP_DMA of a range on a container.</summary>
/// <param name="Container">The container.</param>
/// <param name="Iova">The range.</param>
public sealed record UnmapStep(string Container, AddressRange Iova) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "unmap";

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: UNMAP {Iova}";
}

/// <summary>A raw UNMAP_DMA with FLAG_ALL on a container.</summary>
/// <param name="Container">The container.</param>
public sealed record UnmapAllStep(string Container) : ScenarioStep
{
    /// <inheritdoc/>
    public override string Kind => "unmap-all";

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: UNMAP all";
}
