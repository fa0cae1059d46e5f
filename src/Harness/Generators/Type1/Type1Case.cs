using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Verify.Harness.Scenarios;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.Vfio;

namespace Verify.Harness.Generators.Type1;

/// <summary>One call of a type1 scenario; prints itself as a script line.</summary>
public abstract record Type1Op;

/// <summary><c>MAP iova=0x200000 vaddr=0x7f0000200000 size=2M rw</c>.</summary>
/// <param name="Flags">MAP_DMA flags (possibly invalid).</param>
/// <param name="Iova">IOVA.</param>
/// <param name="Vaddr">Host virtual address.</param>
/// <param name="Size">Bytes.</param>
public sealed record MapDmaOp(Type1MapFlags Flags, ulong Iova, ulong Vaddr, ulong Size) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"MAP iova=0x{Iova:x} vaddr=0x{Vaddr:x} size={PageTableText.Size(Size)} {Type1Script.Flags(Flags)}");
}

/// <summary><c>UNMAP iova=0x200000 size=2M</c> or <c>UNMAP ALL</c>.</summary>
/// <param name="Flags">UNMAP_DMA flags (possibly invalid).</param>
/// <param name="Iova">IOVA.</param>
/// <param name="Size">Bytes.</param>
public sealed record UnmapDmaOp(Type1UnmapFlags Flags, ulong Iova, ulong Size) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"UNMAP{(Flags == Type1UnmapFlags.None ? "" : $" flags={Flags}")} iova=0x{Iova:x} size={PageTableText.Size(Size)}");
}

/// <summary><c>DMA iova=0x201000</c>: the device reads through the first domain, filling its IOTLB.</summary>
/// <param name="Iova">IOVA.</param>
public sealed record DeviceAccessOp(ulong Iova) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"DMA iova=0x{Iova:x}");
}

/// <summary><c>DEVICE vgpu0 dma_unmap=UnpinsAll</c>: an mdev registers with the container.</summary>
/// <param name="Device">Its name.</param>
/// <param name="Callback">What its <c>dma_unmap</c> does.</param>
public sealed record RegisterDeviceOp(string Device, Type1DeviceCallback Callback) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => $"DEVICE {Device} dma_unmap={Callback}";
}

/// <summary><c>PIN vgpu0 iova=0x200000 npage=2 rw</c>: <c>vfio_pin_pages</c>.</summary>
/// <param name="Device">The pinning device.</param>
/// <param name="Iova">First page.</param>
/// <param name="Npage">Pages (possibly 0 or past 512).</param>
/// <param name="Prot">Rights asked.</param>
public sealed record PinPagesOp(string Device, ulong Iova, int Npage, Type1MapFlags Prot) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"PIN {Device} iova=0x{Iova:x} npage={Npage} {Type1Script.Flags(Prot)}");
}

/// <summary><c>UNPIN vgpu0 iova=0x200000 npage=2</c>: <c>vfio_unpin_pages</c>.</summary>
/// <param name="Device">The unpinning device.</param>
/// <param name="Iova">First page.</param>
/// <param name="Npage">Pages.</param>
public sealed record UnpinPagesOp(string Device, ulong Iova, int Npage) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"UNPIN {Device} iova=0x{Iova:x} npage={Npage}");
}

/// <summary><c>MIGRATE hva=0x7f0000201000 to hpa=0x4000000000</c>: the host moves one page (refused when pinned).</summary>
/// <param name="Hva">The page's virtual address.</param>
/// <param name="NewHpa">Fresh physical memory it moves to.</param>
public sealed record MigrateOp(ulong Hva, ulong NewHpa) : Type1Op
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"MIGRATE hva=0x{Hva:x} to hpa=0x{NewHpa:x}");
}

/// <summary>The host process a scenario runs in.</summary>
/// <param name="VirtualRuns">Backed virtual ranges (RAM, aliases of RAM, an mmap of a BAR).</param>
/// <param name="Reserved">Reserved physical ranges.</param>
/// <param name="RlimitMemlock">RLIMIT_MEMLOCK (<see cref="ulong.MaxValue"/>: unlimited).</param>
/// <param name="CapIpcLock">Whether the limit is ignored.</param>
public sealed record Type1HostSpec(ImmutableArray<VirtualRun> VirtualRuns, ImmutableArray<PhysicalRange> Reserved, ulong RlimitMemlock, bool CapIpcLock)
{
    /// <summary>A fresh process with this memory.</summary>
    /// <param name="migratesPinnedPages">The deliberate break <see cref="HostMemory.MigratesPinnedPages"/>.</param>
    /// <returns>The host model.</returns>
    public HostMemory Build(bool migratesPinnedPages = false)
    {
        var host = new HostMemory { RlimitMemlock = RlimitMemlock, CapIpcLock = CapIpcLock, MigratesPinnedPages = migratesPinnedPages };
        foreach (var run in VirtualRuns)
        {
            host.AddVirtualRange(run.Hva, run.Size, run.Hpa);
        }

        foreach (var r in Reserved)
        {
            host.AddReservedRange(r.Hpa, r.Size);
        }

        return host;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"rlimit={(RlimitMemlock == ulong.MaxValue ? "unlimited" : PageTableText.Size(RlimitMemlock))}{(CapIpcLock ? " CAP_IPC_LOCK" : "")}; "
        + string.Join("; ", VirtualRuns) + (Reserved.IsEmpty ? "" : "; reserved " + string.Join(", ", Reserved));
}

/// <summary>A type1 scenario: the container's variant, its domains, the process and the calls.</summary>
/// <param name="Options">The type1 variant.</param>
/// <param name="Domains">One page-table configuration per domain (empty: mdev only, nothing pinned).</param>
/// <param name="Host">The process.</param>
/// <param name="Ops">The calls in order.</param>
public sealed record Type1Case(Type1Options Options, ImmutableArray<PageTableOptions> Domains, Type1HostSpec Host, ImmutableArray<Type1Op> Ops)
{
    /// <summary>The case as a scenario, once per interface version (v1, then v2), as the T1 properties run most cases
    /// under both: a process with the case's declared memory and limit, a container with the case's variant, and every
    /// call at its raw host addresses; with <paramref name="close"/> each container is closed at the end (T1-05). No
    /// expectations: the checks (each container is alone in a declared process, so a type1 oracle follows it) judge.</summary>
    /// <param name="close">Whether each container is closed at the end.</param>
    /// <returns>The steps.</returns>
    public IReadOnlyList<ScenarioStep> ToScenarioSteps(bool close = false) =>
        [.. StepsUnder(Type1Version.V1, Options.Accounting, "v1", close), .. StepsUnder(Type1Version.V2, Options.Accounting, "v2", close)];

    /// <summary>The case as a scenario once per accounting mode (per mapping, then shared), under the case's version
    /// (T1-03).</summary>
    /// <returns>The steps.</returns>
    public IReadOnlyList<ScenarioStep> ToAccountingSteps() =>
        [.. StepsUnder(Options.Version, AccountingMode.PerMapping, "per-mapping", false), .. StepsUnder(Options.Version, AccountingMode.Shared, "shared", false)];

    private IEnumerable<ScenarioStep> StepsUnder(Type1Version version, AccountingMode accounting, string name, bool close)
    {
        string process = "qemu-" + name, container = "container-" + name;
        yield return new ProcessStep(process)
        {
            Rlimit = Host.RlimitMemlock == ulong.MaxValue ? null : Host.RlimitMemlock,
            CapIpcLock = Host.CapIpcLock,
            Memory = Host.VirtualRuns,
            Reserved = Host.Reserved,
            Note = version == Options.Version && accounting == Options.Accounting ? "the case as generated" : $"the same case under {name}",
        };
        yield return new ContainerStep(container, new DmaBackendTraits { EntryLimit = Options.DmaEntryLimit })
        {
            Process = process,
            Version = version,
            Accounting = accounting,
            PageSize = Options.MinPageSize,
            Domains = [.. Domains.Select(d => d.Format)],
            Splits = Domains.All(d => d.Split == SplitPolicy.Split) ? [] : [.. Domains.Select(d => d.Split)],
            ValidIova = Options.ValidIovaRanges,
            WrapErrno = Options.WrapErrno,
        };
        foreach (var op in Ops)
        {
            yield return ToStep(op, process, container);
        }

        if (close)
        {
            yield return new CloseStep(container);
        }
    }

    private ScenarioStep ToStep(Type1Op op, string process, string container) => op switch
    {
        MapDmaOp m => new MapDmaStep(container, m.Flags, m.Iova, m.Vaddr, m.Size),
        UnmapDmaOp u => new UnmapDmaStep(container, u.Flags, u.Iova, u.Size),
        DeviceAccessOp a => new DmaAccessStep(container, a.Iova),
        RegisterDeviceOp r => new MdevDeviceStep(container, r.Device, r.Callback),
        PinPagesOp p => new PinStep(container, p.Device, p.Iova, p.Npage,
            ((p.Prot & Type1MapFlags.Read) != 0 ? Protection.Read : Protection.None) | ((p.Prot & Type1MapFlags.Write) != 0 ? Protection.Write : Protection.None)),
        UnpinPagesOp u => new UnpinStep(container, u.Device, u.Iova, u.Npage),
        MigrateOp g => new MigrateStep(process, g.Hva, Options.MinPageSize, g.NewHpa),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "has no scenario form"),
    };

    /// <summary>The numbered script with each call's result as the oracle gives it:
    /// <c>1. MAP iova=0x200000 vaddr=0x7f0000200000 size=2M rw -> ok 2M</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var oracle = new Verify.Oracle.Type1.Type1Oracle(Options, !Domains.IsEmpty, Host.VirtualRuns, Host.Reserved, Host.RlimitMemlock, Host.CapIpcLock, 0);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Options}; {(Domains.IsEmpty ? "no domain (mdev only)" : $"{Domains.Length} domain(s) {string.Join(",", Domains.Select(d => d.Format.Name))}")}; {Host}");
        for (int i = 0; i < Ops.Length; i++)
        {
            var result = Ops[i] switch
            {
                MapDmaOp m => oracle.Map(m.Flags, m.Iova, m.Vaddr, m.Size),
                UnmapDmaOp u => oracle.Unmap(u.Flags, u.Iova, u.Size),
                RegisterDeviceOp r => Type1Result.Fail(oracle.RegisterDevice(r.Device, r.Callback)),
                PinPagesOp p => oracle.Pin(p.Device, p.Iova, p.Npage, p.Prot),
                UnpinPagesOp u => oracle.Unpin(u.Device, u.Iova, u.Npage),
                MigrateOp g => Type1Result.Fail(oracle.Migrate(g.Hva, g.NewHpa)),
                _ => (Type1Result?)null,
            };
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"{i + 1}. {Ops[i]} -> {Type1Script.Result(result)}");
        }

        return text.ToString();
    }
}

/// <summary>Script text shared by ops and cases.</summary>
public static class Type1Script
{
    /// <summary>Prints <c>rw</c>, <c>r</c>, <c>w</c>, or the raw flags when they are unusual.</summary>
    /// <param name="flags">MAP flags.</param>
    /// <returns>The text.</returns>
    public static string Flags(Type1MapFlags flags) => flags switch
    {
        Type1MapFlags.Read | Type1MapFlags.Write => "rw",
        Type1MapFlags.Read => "r",
        Type1MapFlags.Write => "w",
        Type1MapFlags.Vaddr => "vaddr",
        Type1MapFlags.None => "none",
        _ => $"flags=0x{(uint)flags:x}",
    };

    /// <summary>Prints <c>ok 0</c>, <c>ok 2M</c>, a pin's pfns, the errno or <c>kernel BUG</c>.</summary>
    /// <param name="result">A call's result, or null for a device access.</param>
    /// <returns>The text.</returns>
    public static string Result(Type1Result? result) => result?.ToString() ?? "done";
}
