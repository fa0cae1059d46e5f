using System.Globalization;
using Verify.Harness.Core;
using Verify.Harness.Execution;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Hosts;
using Verify.Harness.Layouts;
using Verify.Harness.Running;
using Verify.Harness.Scenarios;
using Verify.Harness.Variants;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.Dma;
using Verify.Vfio;
using Xunit.Abstractions;

namespace Verify.Properties;

public class GuestIommuExampleTests(ITestOutputHelper output)
{
    private const ulong FourK = 0x1000;
    private const ulong TwoM = 0x20_0000;
    private const ulong GiB = 1UL << 30;
    private const int AddressWidth = 48;

    [Fact]
    public void Hotplug_IntoPrePopulatedDomain_ContainerGetsMappingsOnlyThroughReplay()
    {
        var rig = new GuestIommuRig(MachineLayout.Pc(256UL << 20), GuestIommuOptions.Default);
        rig.SetRemapping(true);
        rig.Hotplug("dev0");
        rig.SetContext("dev0", ContextEntry.InDomain(1));
        rig.Map(1, new AddressRange(0x10_0000, 4 * FourK), 0x200_0000, writable: true); // [0x100000, 0x104000) -> gpa 0x2000000

        rig.Hotplug("dev1");
        rig.SetContext("dev1", ContextEntry.InDomain(1));

        var mappings = rig.ContainerOf("dev1").Mappings;
        Assert.Equal(rig.ContainerOf("dev0").Mappings, mappings);
        Assert.Equal(4, mappings.Count); // one MAP per 4 KiB leaf
        Assert.Equal(new DmaTranslation("pc.ram", 0x200_0000, true), DmaVisibilityOracle.Lookup(mappings, 0x10_0000));
        var verdict = new Verdict();
        rig.Check(verdict, "after dev1 joined");
        Assert.True(verdict.Holds, string.Join("\n", verdict.Failures));

        // The same story as a scenario, against the vIOMMU whose replay does not walk the tables.
        var scenario = Scenario.Create(new ScenarioHeader(),
        [
            new LayoutStep("pc", 256UL << 20), new ViommuStep(GuestIommuOptions.Default, AccountingMode.PerMapping), new RemappingStep(true),
            new GuestHotplugStep("dev0"), new ContextStep("dev0", ContextEntry.InDomain(1)),
            new GuestMapStep(1, new AddressRange(0x10_0000, 4 * FourK), 0x200_0000, true),
            new GuestHotplugStep("dev1"), new ContextStep("dev1", ContextEntry.InDomain(1)),
        ]);
        Assert.True(ScenarioRunner.Run(scenario).Holds);
        var broken = ScenarioRunner.Run(scenario, new ScenarioRunOptions { Implementation = BrokenVariants.All.Single(v => v.Name == "shadow-sync-skips-replay-walk").Implementation });
        Assert.Equal([7], broken.Steps.Where(s => !s.Holds).Select(s => s.Index));
        output.WriteLine($"without the replay walk: {broken.Problems().First()}");
    }

    [Fact]
    public void Hotplug_WithoutCachingMode_RefusedWithReason()
    {
        var rig = new GuestIommuRig(MachineLayout.Pc(256UL << 20), GuestIommuOptions.Default with { CachingMode = false });

        Assert.Equal(GuestRefusal.NoCachingMode, rig.Hotplug("dev0"));
        Assert.Empty(rig.Model.Devices);
    }

    [Fact]
    public void ReplayMatchesDomain_SkipReplayWalk_CaughtNamingTheDevice()
    {
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("VI-02"), PropertyBudget.Default with { StartSeed = 20261121 },
            implementation: BrokenVariants.All.Single(v => v.Name == "shadow-sync-skips-replay-walk").Implementation);

        Assert.False(outcome.Passed);
        output.WriteLine(outcome.Report);
        Assert.Contains("new iova", outcome.Report, StringComparison.Ordinal);
        Assert.Contains("joins domain 1", outcome.Counterexample!, StringComparison.Ordinal);
    }

    [Fact]
    public void Unmap_VtdInsideSuperpage_RemovesWholeLeaf()
    {
        var table = GuestPageTable.Empty;
        table.Map(GuestIommuKind.VtD, AddressWidth, new AddressRange(0, 2 * TwoM), 0x4000_0000, true, out table); // [0, 0x400000)
        Assert.Equal(2, table.Count);

        var result = table.Unmap(GuestIommuKind.VtD, AddressWidth, new AddressRange(TwoM + FourK, FourK), out table); // [0x201000, 0x202000)

        Assert.True(result.Succeeded);
        Assert.Equal(new AddressRange(TwoM, TwoM), result.Changed); // [0x200000, 0x400000)
        Assert.Equal([new GuestLeaf(new AddressRange(0, TwoM), 0x4000_0000, true)], table.Leaves);
    }

    [Fact]
    public void Unmap_VirtioSplittingInterval_RefusedAndTableUnchanged()
    {
        var table = GuestPageTable.Empty;
        table.Map(GuestIommuKind.VirtioIommu, AddressWidth, new AddressRange(0, 4 * FourK), 0x10_0000, true, out table); // [0, 0x4000)

        var split = table.Unmap(GuestIommuKind.VirtioIommu, AddressWidth, new AddressRange(FourK, FourK), out var after); // [0x1000, 0x2000)
        var overlap = table.Map(GuestIommuKind.VirtioIommu, AddressWidth, new AddressRange(3 * FourK, 2 * FourK), 0, true, out _); // [0x3000, 0x5000)

        Assert.Equal(GuestRefusal.SplitsInterval, split.Refusal);
        Assert.Same(table, after);
        Assert.Equal(GuestRefusal.Overlap, overlap.Refusal);
    }

    [Fact]
    public void Map_LastPageBelowAddressWidth_AcceptedAndOnePastRefused()
    {
        ulong last = (1UL << AddressWidth) - FourK;

        var ok = GuestPageTable.Empty.Map(GuestIommuKind.VtD, AddressWidth, new AddressRange(last, FourK), 0, true, out _); // [0xffff_ffff_f000, 2^48)
        var past = GuestPageTable.Empty.Map(GuestIommuKind.VtD, AddressWidth, new AddressRange(last, 2 * FourK), 0, true, out _); // [0xffff_ffff_f000, 2^48 + 0x1000)

        Assert.True(ok.Succeeded);
        Assert.Equal(GuestRefusal.OutsideAddressWidth, past.Refusal);
    }

    [Fact]
    public void Invalidate_NothingChanged_IssuesNoIoctlAndChangedTranslationIsUnmapThenMap()
    {
        var rig = new GuestIommuRig(MachineLayout.Pc(256UL << 20), GuestIommuOptions.Default);
        rig.SetRemapping(true);
        rig.Hotplug("dev0");
        rig.SetContext("dev0", ContextEntry.InDomain(1));
        rig.Map(1, new AddressRange(0, FourK), 0x10_0000, writable: true); // [0, 0x1000) -> gpa 0x100000
        var log = rig.Model.Devices["dev0"].Container.Log;
        int before = log.Count;

        rig.Model.Invalidate(GuestInvalidation.Global);
        Assert.Equal(before, log.Count);

        // The guest remaps the page elsewhere but invalidates only after both changes: QEMU sees a changed translation.
        rig.Model.Unmap(1, new AddressRange(0, FourK));
        rig.Model.Map(1, new AddressRange(0, FourK), 0x20_0000, true);
        rig.Model.Invalidate(GuestInvalidation.OfPages(1, new AddressRange(0, FourK)));

        Assert.Equal(
            ["UNMAP [0x0..0x1000)", "MAP [0x0..0x1000) -> pc.ram@0x200000 rw"],
            log.Skip(before).Select(r => r.Operation.ToString()));
    }

    [Fact]
    public void Passthrough_SixteenGiBGuestFourDevices_ChargesEachContainerOrEachPageOnce()
    {
        output.WriteLine("16 GiB pc guest, remapping on, every device in passthrough: locked_vm (GiB) and libvirt's limits");
        output.WriteLine("devices  per-container  shared  libvirt(N x RAM + 1 GiB)  legacy libvirt(RAM + 1 GiB)");
        var charges = new Dictionary<AccountingMode, List<ulong>>();
        foreach (var mode in new[] { AccountingMode.PerMapping, AccountingMode.Shared })
        {
            var rig = new GuestIommuRig(MachineLayout.Pc(16 * GiB), GuestIommuOptions.Default, mode);
            rig.SetRemapping(true);
            charges[mode] = [];
            for (int n = 1; n <= 4; n++)
            {
                rig.Hotplug($"dev{n}");
                rig.SetContext($"dev{n}", ContextEntry.Passthrough);
                Assert.Equal(rig.ExpectedCharge(mode), rig.Host.LockedVm);
                charges[mode].Add(rig.Host.LockedVm);
            }
        }

        for (int n = 1; n <= 4; n++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,7}  {charges[AccountingMode.PerMapping][n - 1] / (double)GiB,13:F3}  {charges[AccountingMode.Shared][n - 1] / (double)GiB,6:F3}  {MemlockLimit.Libvirt(16 * GiB, n, hasViommu: true) / (double)GiB,24:F3}  {MemlockLimit.LibvirtLegacy(16 * GiB) / (double)GiB,27:F3}"));
            Assert.Equal((ulong)n * charges[AccountingMode.PerMapping][0], charges[AccountingMode.PerMapping][n - 1]);
            Assert.Equal(charges[AccountingMode.Shared][0], charges[AccountingMode.Shared][n - 1]);
        }
    }

    /// <summary>
    /// The window story (docs/semantics.md 7): a 16 GiB guest whose assigned device sits in an identity domain (IOVA = GPA
    /// over all RAM) turns DMA remapping off. Before and after, every RAM page translates the same; QEMU's two
    /// transactions unmap all of it at a transaction boundary, an atomic switch removes that boundary but vfio still
    /// deletes before it adds inside the one transaction; only one planner over both sides (the unified planner) with an
    /// atomic switch issues nothing.
    /// </summary>
    [Fact]
    public void RemappingOff_SixteenGiBGuestInIdentityDomain_WindowTwoTransactionsVersusAtomic()
    {
        var twoTransactions = MeasureRemappingOff(RemappingSwitch.TwoTransactions, RamListenerKind.QemuToday);
        var atomic = MeasureRemappingOff(RemappingSwitch.Atomic, RamListenerKind.QemuToday);
        var coalescingTwo = MeasureRemappingOff(RemappingSwitch.TwoTransactions, RamListenerKind.Coalescing);
        var coalescingAtomic = MeasureRemappingOff(RemappingSwitch.Atomic, RamListenerKind.Coalescing);
        var unifiedTwo = MeasureRemappingOff(RemappingSwitch.TwoTransactions, RamListenerKind.Unified);
        var unifiedAtomic = MeasureRemappingOff(RemappingSwitch.Atomic, RamListenerKind.Unified);

        output.WriteLine("16 GiB pc guest, dev0 in an identity domain over everything it reaches (2 MiB leaves where aligned), remapping switched off:");
        output.WriteLine("switch            RAM listener  ioctls  UNMAP  MAP  same-translation bytes unmapped  largest window (ioctls)  unmapped at a transaction boundary");
        foreach (var (name, listener, m) in new[]
        {
            ("two transactions", "QEMU today", twoTransactions), ("atomic", "QEMU today", atomic),
            ("two transactions", "coalescing", coalescingTwo), ("atomic", "coalescing", coalescingAtomic),
            ("two transactions", "unified", unifiedTwo), ("atomic", "unified", unifiedAtomic),
        })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-17} {listener,-12} {m.Ioctls,6}  {m.Unmaps,5}  {m.Maps,3}  {AddressRange.FormatEnd(m.Plan.CollateralBytes),31}  {m.Plan.LargestWindow,23}  {AddressRange.FormatEnd(m.AtBoundary)} ({m.AtBoundary / FourK} pages)"));
        }

        // The RAM listener only sees the nodmar side: the IOMMU side is the shadow notifier's, which unmaps its whole
        // range when the IOMMU section goes away. Coalescing the RAM listener alone therefore cannot close the window;
        // that needs one planner over both the shadow mappings and the RAM mappings of a container.
        Assert.Equal(twoTransactions.SameTranslation, coalescingTwo.Plan.CollateralBytes);
        Assert.Equal(atomic.SameTranslation, coalescingAtomic.Plan.CollateralBytes);

        // Every identity-mapped RAM byte the device can reach keeps its translation, and both styles unmap all of it.
        Assert.Equal(twoTransactions.SameTranslation, twoTransactions.Plan.CollateralBytes);
        Assert.Equal(atomic.SameTranslation, atomic.Plan.CollateralBytes);
        Assert.True(twoTransactions.SameTranslation > 15 * (UInt128)GiB);
        Assert.Equal(twoTransactions.SameTranslation, twoTransactions.AtBoundary);
        Assert.Equal((UInt128)0, atomic.AtBoundary);
        Assert.Equal(twoTransactions.Ioctls, atomic.Ioctls);

        // One planner over the shadow and the RAM mappings of the container: an atomic switch that keeps every
        // translation plans nothing. Two transactions still pass through a state with nothing mapped.
        Assert.Equal(0, unifiedAtomic.Ioctls);
        Assert.Equal((UInt128)0, unifiedAtomic.Plan.CollateralBytes);
        Assert.Equal(twoTransactions.SameTranslation, unifiedTwo.Plan.CollateralBytes);
        Assert.Equal(twoTransactions.SameTranslation, unifiedTwo.AtBoundary);
    }

    private static SwitchMeasurement MeasureRemappingOff(RemappingSwitch style, RamListenerKind listener)
    {
        var layout = MachineLayout.Pc(16 * GiB);
        var rig = new GuestIommuRig(layout, GuestIommuOptions.Default with { Switch = style, Listener = listener });
        rig.SetRemapping(true);
        rig.Hotplug("dev0");
        rig.SetContext("dev0", ContextEntry.InDomain(1));

        // The guest's identity domain over everything the device reaches with remapping off (RAM, ROMs, VRAM, the BARs),
        // so no byte changes translation. The model alone: the page-by-page oracle would hold four million pages, and
        // nothing here compares with it.
        foreach (var m in DmaMap.Of(rig.Model.SystemView, rig.Model.DmaOptions).Mappings)
        {
            Assert.True(rig.Model.Map(1, m.Iova, m.Iova.Start, writable: true).Succeeded, m.ToString());
        }

        rig.Model.Invalidate(GuestInvalidation.OfDomain(1));
        var space = rig.Model.Devices["dev0"];
        var history = space.Container.Mappings.ToList();
        var snapshots = new BoundarySnapshots(space.Container);
        space.Topology.Register(snapshots);
        snapshots.Taken.Clear();
        int from = space.Container.Log.Count;

        rig.SetRemapping(false);

        var records = space.Container.Log.Skip(from).ToList();
        Assert.All(records, r => Assert.True(r.Result.Succeeded, r.ToString()));
        var desired = DmaMap.Of(space.Topology.Current, rig.Model.DmaOptions);
        var plan = DmaPlanMetrics.Measure(history, [.. records.Select(r => r.Operation)], desired, space.Container.Traits);
        UInt128 same = SameTranslationBytes(history, desired);
        UInt128 atBoundary = snapshots.Taken.SkipLast(1).Select(s => same - KeptBytes(history, desired, s)).DefaultIfEmpty((UInt128)0).Max();
        return new SwitchMeasurement(plan, records.Count, records.Count(r => r.Operation is DmaOperation.Unmap or DmaOperation.UnmapAll),
            records.Count(r => r.Operation is DmaOperation.Map), same, atBoundary);
    }

    // Page arithmetic over runs, not pages: 16 GiB is four million pages.
    private static UInt128 SameTranslationBytes(IReadOnlyList<DmaMapping> history, DmaMap desired) => KeptBytes(history, desired, history);

    private static UInt128 KeptBytes(IReadOnlyList<DmaMapping> history, DmaMap desired, IReadOnlyList<DmaMapping> state)
    {
        UInt128 total = 0;
        foreach (var h in history)
        {
            foreach (var d in Overlapping(desired.Mappings, h.Iova))
            {
                var both = h.Iova.Intersect(d.Iova);
                if (h.Clip(both) != d.Clip(both))
                {
                    continue;
                }

                foreach (var s in Overlapping(state, both))
                {
                    var all = s.Iova.Intersect(both);
                    total += s.Clip(all) == h.Clip(all) ? all.Size : 0;
                }
            }
        }

        return total;
    }

    // Mappings are ascending and disjoint: binary-search the first that ends after the range starts.
    private static IEnumerable<DmaMapping> Overlapping(IReadOnlyList<DmaMapping> sorted, AddressRange range)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (sorted[mid].Iova.End <= range.Start)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (int i = lo; i < sorted.Count && sorted[i].Iova.Start < range.End; i++)
        {
            yield return sorted[i];
        }
    }

    private sealed record SwitchMeasurement(DmaPlan Plan, int Ioctls, int Unmaps, int Maps, UInt128 SameTranslation, UInt128 AtBoundary);

    /// <summary>Takes the container's mappings at every commit of the device's address space.</summary>
    private sealed class BoundarySnapshots(IDmaBackend container) : IMemoryListener
    {
        public List<IReadOnlyList<DmaMapping>> Taken { get; } = [];

        public void Begin()
        {
        }

        public void RegionDel(in FlatRange range)
        {
        }

        public void RegionNop(in FlatRange range)
        {
        }

        public void RegionAdd(in FlatRange range)
        {
        }

        public void Commit() => Taken.Add([.. container.Mappings]);
    }
}
