using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Core;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;
using Verify.Oracle.Dma;
using Verify.Oracle.GuestIommu;
using Verify.Vfio;

namespace Verify.Harness.Hosts;

/// <summary>
/// The system under test for the guest IOMMU properties: a machine's memory map, the <see cref="Viommu"/> with one
/// <see cref="Type1Container"/> per device address space on one host process, and the <see cref="GuestIommuOracle"/>
/// fed the same guest requests. Every request goes to both; <see cref="Check"/> compares them.
/// </summary>
/// <remarks>Every RAM-backed region of the machine gets a host virtual range backed by its own host physical range;
/// ram-device regions (a BAR's mmap) are reserved pfns, never charged. Not thread-safe.</remarks>
public sealed class GuestIommuRig
{
    private const ulong Page = 0x1000;
    private readonly ImmutableDictionary<string, ulong> _hpaBase;
    private readonly Dictionary<string, Type1Container> _containers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _checkedIoctls = new(StringComparer.Ordinal);

    /// <summary>Builds the rig with remapping off and no device.</summary>
    /// <param name="layout">The machine.</param>
    /// <param name="options">The guest IOMMU variant.</param>
    /// <param name="accounting">Per-mapping (type1) or shared (one charge per page across containers).</param>
    public GuestIommuRig(MachineLayout layout, GuestIommuOptions options, AccountingMode accounting = AccountingMode.PerMapping)
        : this(layout, options, accounting, Type1Bug.None)
    {
    }

    /// <summary>Builds the rig with every container carrying a deliberate type1 bug.</summary>
    /// <param name="layout">The machine.</param>
    /// <param name="options">The guest IOMMU variant.</param>
    /// <param name="accounting">Per-mapping or shared accounting.</param>
    /// <param name="type1Bug">The bug.</param>
    internal GuestIommuRig(MachineLayout layout, GuestIommuOptions options, AccountingMode accounting, Type1Bug type1Bug)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        var backing = HostBacking.Of(layout.Tree.Regions);
        Host = backing.Host;
        var blocks = backing.Blocks;
        _hpaBase = backing.HpaBases;

        var type1 = Type1Options.Default with { Accounting = accounting, Bug = type1Bug };
        Model = new Viommu(options, DmaOptions.Default, layout.Tree, device =>
        {
            var container = new Type1Container($"container-{device}", type1, Host, blocks, [PageTableOptions.Default]);
            _containers[device] = container;
            return container;
        });
        Oracle = new GuestIommuOracle(options.Kind, options.AddressWidth);
        Accounting = accounting;
    }

    /// <summary>How the containers charge the process.</summary>
    public AccountingMode Accounting { get; }

    /// <summary>The machine.</summary>
    public MachineLayout Layout { get; }

    /// <summary>The host process all containers pin and charge in.</summary>
    public HostMemory Host { get; }

    /// <summary>The model.</summary>
    public Viommu Model { get; }

    /// <summary>The oracle.</summary>
    public GuestIommuOracle Oracle { get; }

    /// <summary>The type1 container of a plugged device.</summary>
    /// <param name="device">The device.</param>
    /// <returns>Its container.</returns>
    public Type1Container ContainerOf(string device) => _containers[device];

    /// <summary>Hot-plugs a device in both.</summary>
    /// <param name="device">The name.</param>
    /// <returns>The model's refusal, if any.</returns>
    public GuestRefusal Hotplug(string device)
    {
        var refusal = Model.Hotplug(device);
        if (refusal == GuestRefusal.None)
        {
            Oracle.Hotplug(device);
            // Every device may be an mdev of its own container; a correct driver's dma_unmap unpins what it holds.
            _containers[device].RegisterDevice(device, Type1DeviceCallback.UnpinsAll);
        }

        return refusal;
    }

    /// <summary>Unplugs a device in both.</summary>
    /// <param name="device">The name.</param>
    /// <returns>The model's refusal, if any (the oracle is told only what the model accepted).</returns>
    public GuestRefusal Unplug(string device)
    {
        var refusal = Model.Unplug(device);
        if (refusal == GuestRefusal.None)
        {
            Oracle.Unplug(device);
            _checkedIoctls.Remove(device);
        }

        return refusal;
    }

    /// <summary>Flips remapping in both.</summary>
    /// <param name="on">The new state.</param>
    public void SetRemapping(bool on)
    {
        Model.SetRemapping(on);
        Oracle.SetRemapping(on);
    }

    /// <summary>Writes a context entry in both.</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="entry">The entry.</param>
    /// <returns>The model's refusal, if any (the oracle is told only what the model accepted).</returns>
    public GuestRefusal SetContext(string device, ContextEntry entry)
    {
        var refusal = Model.SetContext(device, entry);
        if (refusal == GuestRefusal.None)
        {
            Oracle.SetContext(device, entry);
        }

        return refusal;
    }

    /// <summary>The guest maps and, as a correct caching-mode guest does, invalidates the mapped pages.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="iova">The IOVAs.</param>
    /// <param name="gpa">First guest physical address.</param>
    /// <param name="writable">Whether writes are allowed.</param>
    /// <returns>Whether the model accepted it and the oracle agreed.</returns>
    public (GuestResult Model, bool Oracle) Map(int domain, AddressRange iova, ulong gpa, bool writable)
    {
        var result = Model.Map(domain, iova, gpa, writable);
        bool oracle = Oracle.Map(domain, iova.Start, (ulong)iova.Size, gpa, writable);
        if (result.Succeeded && Model.Options.Kind == GuestIommuKind.VtD)
        {
            Model.Invalidate(GuestInvalidation.OfPages(domain, result.Changed));
        }

        return (result, oracle);
    }

    /// <summary>The guest unmaps and invalidates what went away.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="iova">The IOVAs.</param>
    /// <returns>Whether the model accepted it and the oracle agreed.</returns>
    public (GuestResult Model, bool Oracle) Unmap(int domain, AddressRange iova)
    {
        var result = Model.Unmap(domain, iova);
        bool oracle = Oracle.Unmap(domain, iova.Start, (ulong)iova.Size);
        if (result.Succeeded && !result.Changed.IsEmpty && Model.Options.Kind == GuestIommuKind.VtD)
        {
            Model.Invalidate(GuestInvalidation.OfPages(domain, result.Changed));
        }

        return (result, oracle);
    }

    /// <summary>The device, as an mdev, pins pages of its own container (<c>vfio_pin_pages</c>) in the model and the oracle.</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="iova">First page's IOVA.</param>
    /// <param name="npage">Pages.</param>
    /// <param name="write">Whether it asks for write access.</param>
    /// <returns>The model's result and the oracle's errno.</returns>
    public (Type1Result Model, Errno Oracle) Pin(string device, ulong iova, int npage, bool write)
    {
        var model = _containers[device].PinPages(device, iova, npage, write ? Type1MapFlags.Read | Type1MapFlags.Write : Type1MapFlags.Read);
        return (model, Oracle.Pin(device, iova, npage, write, Model.SystemView, Model.DmaOptions));
    }

    /// <summary>The device unpins pages (<c>vfio_unpin_pages</c>) in the model and the oracle.</summary>
    /// <param name="device">A plugged device.</param>
    /// <param name="iova">First page's IOVA.</param>
    /// <param name="npage">Pages.</param>
    /// <returns>The model's result and the oracle's errno.</returns>
    public (Type1Result Model, Errno Oracle) Unpin(string device, ulong iova, int npage)
    {
        var model = _containers[device].UnpinPages(device, iova, npage);
        return (model, Oracle.Unpin(device, iova, npage, Model.SystemView, Model.DmaOptions));
    }

    /// <summary>A memory transaction on system memory.</summary>
    /// <param name="operation">The change.</param>
    public void Transaction(LayoutOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        Model.CommitSystem(operation.ApplyTo(Layout, Model.SystemTree));
    }

    /// <summary>
    /// VI-01 for every plugged device: at both edges of every cell (system view ranges, guest leaves, live mappings,
    /// the interrupt window) the container's translation and its IOMMU domain's page walk to host physical memory
    /// equal the oracle's; and every ioctl since the last check succeeded.
    /// </summary>
    /// <param name="verdict">Where failures go.</param>
    /// <param name="where">Names the moment for messages.</param>
    /// <param name="tolerated">Failed ioctls that are not the listener's fault (an ENOMEM the memlock limit explains), or null.</param>
    public void Check(Verdict verdict, string where, Func<IoctlRecord, bool>? tolerated = null)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        foreach (var (name, space) in Model.Devices.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var log = space.Container.Log;
            int from = _checkedIoctls.GetValueOrDefault(name);
            for (int i = from; i < log.Count; i++)
            {
                var record = log[i];
                verdict.Expect(record.Result.Succeeded || tolerated?.Invoke(record) == true, () => $"{where}: {name} ioctl failed: {record}");
            }

            _checkedIoctls[name] = log.Count;
            var container = _containers[name];
            foreach (ulong iova in SamplePoints(name, container))
            {
                var expected = Oracle.Translate(name, iova, Model.SystemView, Model.DmaOptions);
                var actual = TranslationAt(container.Mappings, iova);
                if (!verdict.Expect(expected == actual, () => string.Create(CultureInfo.InvariantCulture,
                        $"{where}: {name} iova 0x{iova:x} translates to {Show(actual)}, the oracle says {Show(expected)} (context {Oracle.ContextOf(name)}, remapping {(Oracle.Remapping ? "on" : "off")})")))
                {
                    continue;
                }

                var walk = container.Domains[0].Translate(iova);
                ulong? hpa = expected is { } t ? _hpaBase[t.Region] + t.Offset : null;
                verdict.Expect(walk?.Pa == hpa && (walk is null || walk.Value.Protection.HasFlag(Protection.Write) == expected!.Value.Writable),
                    () => string.Create(CultureInfo.InvariantCulture,
                        $"{where}: {name} iova 0x{iova:x} walks to {(walk is { } w ? w.ToString() : "nothing")}, host memory says {(hpa is { } h ? $"0x{h:x}" : "nothing")}"));
            }
        }
    }

    /// <summary>Every plugged device as it is now, to hand to <see cref="CheckStep"/> after the next step.</summary>
    /// <returns>The snapshot, by device.</returns>
    public ImmutableSortedDictionary<string, DeviceSnapshot> Snapshot() =>
        Model.Devices.ToImmutableSortedDictionary(d => d.Key, d => new DeviceSnapshot([.. d.Value.Container.Mappings], d.Value.Container.Log.Count, d.Value.Topology.Current),
            StringComparer.Ordinal);

    /// <summary>
    /// What one step did to every plugged device: its ioctls and window, and whether the run ended in ENOMEM. The
    /// oracle learns here which pinned mappings the step's UNMAPs removed (the kernel calls the device back for each,
    /// docs/semantics.md 5.4), so this runs after every step whether or not VI-01 is checked.
    /// </summary>
    /// <param name="before">The <see cref="Snapshot"/> taken before the step.</param>
    /// <returns>The observation.</returns>
    public StepObservation Observe(IReadOnlyDictionary<string, DeviceSnapshot> before)
    {
        ArgumentNullException.ThrowIfNull(before);
        bool enomem = false;
        var effects = ImmutableSortedDictionary.CreateBuilder<string, DeviceEffect>(StringComparer.Ordinal);
        foreach (var (name, space) in Model.Devices)
        {
            var old = before.GetValueOrDefault(name);
            var calls = space.Container.Log.Skip(old?.Calls ?? 0).ToList();
            enomem |= calls.Any(r => r.Result.Error == Errno.ENOMEM);
            foreach (var call in calls.Where(c => c.Result.Succeeded))
            {
                switch (call.Operation)
                {
                    case DmaOperation.Unmap u:
                        Oracle.Unmapped(name, u.Iova);
                        break;
                    case DmaOperation.UnmapAll:
                        Oracle.Unmapped(name, AddressRange.WholeSpace);
                        break;
                }
            }

            effects[name] = new DeviceEffect(calls.Count, old is null ? 0 : StepWindow.CollateralBytes(old.Mappings, calls, space.Container.Mappings));
        }

        return new StepObservation(effects.ToImmutable(), enomem);
    }

    /// <summary>
    /// VI-01 after one step: every ioctl the listeners issued succeeded, except an ENOMEM that the oracle's charge
    /// exceeding <c>RLIMIT_MEMLOCK</c> explains (QEMU aborts there, so the run stops); otherwise every device
    /// translates as the oracle says (<see cref="Check"/>), its external pins are the oracle's, and <c>locked_vm</c> is
    /// the oracle's charge. A step that must change nothing (a redundant invalidation) issues no ioctl.
    /// </summary>
    /// <param name="verdict">Where failures go.</param>
    /// <param name="where">Names the step for messages.</param>
    /// <param name="before">The <see cref="Snapshot"/> taken before the step.</param>
    /// <param name="observed">What <see cref="Observe"/> saw.</param>
    /// <param name="changesNothing">Whether the step must issue no ioctl.</param>
    public void CheckStep(Verdict verdict, string where, IReadOnlyDictionary<string, DeviceSnapshot> before, StepObservation observed, bool changesNothing)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(observed);
        foreach (var (name, effect) in observed.Devices)
        {
            var calls = Model.Devices[name].Container.Log.Skip(before.GetValueOrDefault(name)?.Calls ?? 0).ToList();
            if (calls.Any(r => r.Result.Error == Errno.ENOMEM))
            {
                verdict.Expect(Host.RlimitMemlock != ulong.MaxValue, () => $"{where}: {name} got ENOMEM without a memlock limit");
            }

            if (changesNothing)
            {
                verdict.Expect(effect.Ioctls == 0, () => $"{where}: {name} got {calls.Count} ioctl(s) from an invalidation that changed nothing, first {calls[0]}");
            }
        }

        if (observed.Enomem)
        {
            // QEMU aborts on a failed MAP, so the run ends here; the refusal must be what the limit forces: the
            // oracle's charge for the configuration reached exceeds RLIMIT_MEMLOCK, and nothing else failed.
            ulong wanted = ExpectedCharge(Accounting);
            verdict.Expect(wanted > Host.RlimitMemlock, () => $"{where}: ENOMEM although the oracle's charge 0x{wanted:x} fits the limit 0x{Host.RlimitMemlock:x}");
            foreach (var (name, space) in Model.Devices)
            {
                var bad = space.Container.Log.Skip(before.GetValueOrDefault(name)?.Calls ?? 0).Where(r => !r.Result.Succeeded && r.Result.Error != Errno.ENOMEM).ToList();
                verdict.Expect(bad.Count == 0, () => $"{where}: {name} ioctl failed: {bad[0]}");
                _checkedIoctls[name] = space.Container.Log.Count;
            }

            return;
        }

        Check(verdict, where);
        CheckPins(verdict, where);
        ulong expected = ExpectedCharge(Accounting);
        verdict.Expect(Host.LockedVm == expected, () => $"{where}: locked_vm 0x{Host.LockedVm:x}, the oracle expects 0x{expected:x} ({Accounting})");
    }

    // Each container's external pin table is the oracle's pins, each at the host page the oracle translates it to.
    private void CheckPins(Verdict verdict, string where)
    {
        foreach (string name in Model.Devices.Keys.Order(StringComparer.Ordinal))
        {
            var actual = _containers[name].ExternalPins.Select(p => p.ToString()).ToList();
            var expected = Oracle.PinsHeld(name).Select(p => Oracle.Translate(name, p.Iova, Model.SystemView, Model.DmaOptions) is { } t
                ? new Type1ExternalPin(p.Iova, _hpaBase[t.Region] + t.Offset, p.Count).ToString()
                : string.Create(CultureInfo.InvariantCulture, $"iova 0x{p.Iova:x} -> a page that no longer translates x{p.Count}")).ToList();
            verdict.Expect(actual.SequenceEqual(expected), () => $"{where}: {name}'s external pins are\n  {string.Join("\n  ", actual)}\nthe oracle expects\n  {string.Join("\n  ", expected)}");
        }
    }

    /// <summary>
    /// The charge the oracle expects: every plugged device's container pins what the device reaches (on system memory
    /// the DMA-visible view minus the interrupt window, in a domain every guest leaf that translates). Per mapping each
    /// container pays for all of it; shared, each host page is paid once. Ram-device pages are reserved, never charged.
    /// </summary>
    /// <param name="accounting">The accounting mode.</param>
    /// <returns>Bytes charged.</returns>
    public ulong ExpectedCharge(AccountingMode accounting)
    {
        var pieces = new List<(string Region, ulong Offset, ulong Size)>();
        foreach (string device in Oracle.Devices)
        {
            var context = Oracle.ContextOf(device);
            if (Oracle.Remapping && context.Kind == ContextKind.Domain)
            {
                foreach (var (start, size) in Oracle.Leaves(context.Domain))
                {
                    if (Oracle.Translate(device, start, Model.SystemView, Model.DmaOptions) is { } t && Layout.Tree[t.Region].Kind != RegionKind.RamDevice)
                    {
                        pieces.Add((t.Region, t.Offset, size));
                    }
                }
            }
            else if (!Oracle.Remapping || context.Kind == ContextKind.Passthrough)
            {
                pieces.AddRange(SystemMemoryPieces());
            }
        }

        if (accounting == AccountingMode.PerMapping)
        {
            return pieces.Aggregate(0UL, (sum, p) => sum + p.Size);
        }

        // Each host page once, however many IOVAs or containers reach it: the union of offsets per region.
        ulong charged = 0;
        foreach (var region in pieces.GroupBy(p => p.Region, StringComparer.Ordinal))
        {
            ulong reached = 0;
            foreach (var (_, offset, size) in region.OrderBy(p => p.Offset))
            {
                ulong end = offset + size;
                if (end > reached)
                {
                    charged += end - Math.Max(offset, reached);
                    reached = end;
                }
            }
        }

        return charged;
    }

    // The device sees system memory with the interrupt window on top, so RAM under the window is not mapped.
    private IEnumerable<(string Region, ulong Offset, ulong Size)> SystemMemoryPieces()
    {
        var window = GuestIommuOptions.InterruptWindow;
        foreach (var m in Model.SystemView.Ranges.Select(r => DmaVisibilityOracle.SectionMap(r, Model.DmaOptions)).OfType<DmaMapping>())
        {
            if (Layout.Tree[m.Region].Kind == RegionKind.RamDevice)
            {
                continue;
            }

            if (m.Iova.Start < window.Start)
            {
                var part = AddressRange.FromBounds(m.Iova.Start, UInt128.Min(m.Iova.End, window.Start));
                yield return (m.Region, m.Offset, (ulong)part.Size);
            }

            if (m.Iova.End > window.End)
            {
                var part = AddressRange.FromBounds((ulong)UInt128.Max(m.Iova.Start, window.End), m.Iova.End);
                yield return (m.Region, m.Offset + (part.Start - m.Iova.Start), (ulong)part.Size);
            }
        }
    }

    /// <summary>The model's observation: what the container's live mappings (ascending, disjoint) translate
    /// <paramref name="iova"/> to, found by binary search.</summary>
    /// <param name="mappings">The container's mappings.</param>
    /// <param name="iova">An address.</param>
    /// <returns>The translation or null.</returns>
    public static DmaTranslation? TranslationAt(IReadOnlyList<DmaMapping> mappings, ulong iova)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        int lo = 0, hi = mappings.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (mappings[mid].Iova.End <= iova)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo < mappings.Count && mappings[lo].Iova.Contains(iova) ? mappings[lo].TranslationAt(iova) : null;
    }

    private static string Show(DmaTranslation? t) => t?.ToString() ?? "nothing";

    private IEnumerable<ulong> SamplePoints(string device, Type1Container container)
    {
        var points = new SortedSet<ulong> { 0, GuestIommuOptions.InterruptWindow.Start, GuestIommuOptions.InterruptWindow.Start - Page, (ulong)GuestIommuOptions.InterruptWindow.End };
        void Cell(ulong start, UInt128 end)
        {
            points.Add(start);
            if (end >= (UInt128)start + Page)
            {
                points.Add((ulong)(end - Page));
            }
        }

        var context = Oracle.ContextOf(device);
        if (context.Kind == ContextKind.Domain && Oracle.Remapping)
        {
            foreach (ulong edge in Oracle.LeafEdges(context.Domain))
            {
                points.Add(edge);
            }
        }
        else
        {
            foreach (var r in Model.SystemView.Ranges)
            {
                Cell(r.Range.Start - r.Range.Start % Page, r.Range.End);
            }
        }

        foreach (var m in container.Mappings)
        {
            Cell(m.Iova.Start, m.Iova.End);
        }

        return points;
    }
}
