using Verify.Harness.Layouts;
using Verify.IommuModel.Backends;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Properties;

/// <summary>Worked examples of the DMA listeners and the planner (docs/semantics.md 2.4 and 3).</summary>
public class DmaListenerTests
{
    private const ulong RamEnd = 0x2000_0000;
    private static readonly MachineLayout Pc = MachineLayout.Pc(512UL << 20);

    // A and B show one region with contiguous offsets; a different dirty mask keeps simplify from merging them,
    // so their DMA translation is exactly that of A'.
    private static FlatRange Ram(ulong start, UInt128 size, ulong offset, bool readOnly = false, byte dirty = 0, string region = "ram") =>
        new(new AddressRange(start, size), region, RegionKind.Ram, offset, ReadOnly: readOnly, DirtyLogMask: dirty);

    private static readonly FlatView Merged = FlatView.Create([Ram(0, 0x4000, 0)]); // A' [0x0, 0x4000)
    private static readonly FlatView Apart = FlatView.Create([Ram(0, 0x2000, 0, dirty: 1), Ram(0x2000, 0x2000, 0x2000)]); // A [0x0, 0x2000), B [0x2000, 0x4000)

    private static MappingSetBackend Container(string name = "container0", DmaBackendTraits? traits = null) => new(name, traits ?? DmaBackendTraits.Type1);

    private static DmaMapping Mapping(ulong start, ulong end, ulong offset, bool writable = true, string region = "ram") =>
        new(AddressRange.FromBounds(start, end), region, offset, writable);

    private static (RegionTree Shadowed, RegionTree ReadOnlyE8000) SeedTrees()
    {
        var tree = Pc.Tree;
        for (int s = 0; s < Pc.PamSegments.Length; s++)
        {
            tree = new LayoutOperation.SetPam(s, PamMode.ReadWrite).ApplyTo(Pc, tree);
        }

        int segment = Pc.PamSegments.IndexOf(0xe8000UL);
        return (tree, new LayoutOperation.SetPam(segment, PamMode.ReadOnly).ApplyTo(Pc, tree));
    }

    private static (CoalescingListener Listener, MappingSetBackend Container, MemoryTopology Topology) Coalescing(FlatView start, PlanOptions plan, DmaBackendTraits? traits = null, FlatView? hint = null)
    {
        var listener = new CoalescingListener(DmaOptions.Default, plan) { UnsimplifiedHint = hint };
        var topology = new MemoryTopology(start);
        topology.Register(listener);
        var container = Container(traits: traits);
        listener.AddContainer(container);
        return (listener, container, topology);
    }

    private static (NaiveVfioListener Listener, MappingSetBackend Container, MemoryTopology Topology) Naive(FlatView? start = null, DmaOptions? options = null, DmaBackendTraits? traits = null)
    {
        var listener = new NaiveVfioListener(options ?? DmaOptions.Default);
        var topology = new MemoryTopology(start);
        topology.Register(listener);
        var container = Container(traits: traits);
        listener.AddContainer(container);
        return (listener, container, topology);
    }

    [Fact]
    public void NaiveVfioListener_MergeAPlusBIntoAPrime_UnmapsAUnmapsBMapsAPrime()
    {
        var (listener, container, topology) = Naive(Apart);

        topology.Commit(Merged);

        Assert.Equal(
            [
                "UNMAP [0x0..0x2000)", // A [0x0, 0x2000)
                "UNMAP [0x2000..0x4000)", // B [0x2000, 0x4000)
                "MAP [0x0..0x4000) -> ram@0x0 rw", // A' [0x0, 0x4000)
            ],
            listener.OperationsOf(container, listener.Transaction).Select(o => o.ToString()));
        Assert.All(listener.Log, c => Assert.True(c.Result.Succeeded));
    }

    [Fact]
    public void CoalescingListener_MergeAPlusBIntoAPrime_PlansNothingAndKeepsAAndB()
    {
        var (listener, container, topology) = Coalescing(Apart, PlanOptions.Default);

        topology.Commit(Merged);

        Assert.True(listener.LastPlans[container].IsEmpty);
        Assert.Equal([Mapping(0, 0x2000, 0), Mapping(0x2000, 0x4000, 0x2000)], listener.HistoryOf(container)); // [0x0, 0x2000), [0x2000, 0x4000)
        Assert.Equal(listener.HistoryOf(container), container.Mappings);
    }

    [Fact]
    public void CoalescingListener_SplitAIntoAPrimePlusB_PlansNothing()
    {
        var (listener, container, topology) = Coalescing(Merged, PlanOptions.Default);

        topology.Commit(Apart);

        Assert.True(listener.LastPlans[container].IsEmpty);
        Assert.Equal([Mapping(0, 0x4000, 0)], container.Mappings); // [0x0, 0x4000)
        Assert.Empty(listener.Failures);
    }

    [Fact]
    public void NaiveVfioListener_SeedStoryPamE8000ReadOnly_UnmapsMergedRangeAndMapsThree()
    {
        var (shadowed, readOnly) = SeedTrees();
        var (listener, container, topology) = Naive(shadowed.Render());
        var before = container.Mappings.ToList();

        topology.Commit(readOnly.Render());

        var ops = listener.OperationsOf(container, listener.Transaction);
        Assert.Equal(
            [
                "UNMAP [0xc0000..0x20000000)", // [0xc0000, 0x2000_0000)
                "MAP [0xc0000..0xe8000) -> pc.ram@0xc0000 rw", // [0xc0000, 0xe8000)
                "MAP [0xe8000..0xec000) -> pc.ram@0xe8000 ro", // [0xe8000, 0xec000)
                "MAP [0xec000..0x20000000) -> pc.ram@0xec000 rw", // [0xec000, 0x2000_0000)
            ],
            ops.Select(o => o.ToString()));
        var measured = DmaPlanMetrics.Measure(before, ops, DmaMap.Of(readOnly.Render(), DmaOptions.Default), DmaBackendTraits.Type1);
        Assert.Equal((UInt128)(RamEnd - 0xc0000 - 0x4000), measured.CollateralBytes);
        Assert.Equal(3, measured.LargestWindow);
    }

    [Fact]
    public void CoalescingListener_SeedStoryPerRangeFreshContainer_ForcedToUnmapMergedRange()
    {
        var (shadowed, readOnly) = SeedTrees();
        var (listener, container, topology) = Coalescing(shadowed.Render(), PlanOptions.Default);

        topology.Commit(readOnly.Render());

        var plan = listener.LastPlans[container];
        Assert.Equal(4, plan.Ioctls);
        Assert.Equal("UNMAP [0xc0000..0x20000000)", plan.Operations[0].ToString()); // [0xc0000, 0x2000_0000)
        Assert.Equal((UInt128)(RamEnd - 0xc0000 - 0x4000), plan.CollateralBytes);
        Assert.Equal(3, plan.LargestWindow);
        Assert.Empty(listener.Failures);
        Assert.Equal(listener.Map.Runs().ToArray(), DmaMapOf(container).Runs().ToArray());
    }

    [Fact]
    public void CoalescingListener_SeedStoryRegionBoundaries_TouchesOnlyTheSegment()
    {
        var (shadowed, readOnly) = SeedTrees();
        var (listener, container, topology) = Coalescing(shadowed.Render(), PlanOptions.Default with { Granularity = MappingGranularity.RegionBoundaries }, hint: shadowed.RenderUnsimplified());

        listener.UnsimplifiedHint = readOnly.RenderUnsimplified();
        topology.Commit(readOnly.Render());

        AssertTouchesOnlySegmentE8000(listener, container);
    }

    [Fact]
    public void CoalescingListener_SeedStorySplitCapableBackend_ZeroCollateral()
    {
        var (shadowed, readOnly) = SeedTrees();
        var (listener, container, topology) = Coalescing(shadowed.Render(), PlanOptions.Default, DmaBackendTraits.SplitCapable);

        topology.Commit(readOnly.Render());

        AssertTouchesOnlySegmentE8000(listener, container);
    }

    [Fact]
    public void CoalescingListener_HotplugThenBGoesAway_OldContainerUnmapsBNewContainerRemapsA()
    {
        var (listener, old, topology) = Coalescing(Apart, PlanOptions.Default);
        topology.Commit(Merged);
        var late = Container("container1");
        listener.AddContainer(late);
        Assert.Equal([Mapping(0, 0x4000, 0)], late.Mappings); // A' [0x0, 0x4000) as one mapping

        topology.Commit(FlatView.Create([Ram(0, 0x2000, 0)])); // only A [0x0, 0x2000) is left

        var oldPlan = listener.LastPlans[old];
        Assert.Equal(["UNMAP [0x2000..0x4000)"], oldPlan.Operations.Select(o => o.ToString())); // B [0x2000, 0x4000)
        Assert.Equal(UInt128.Zero, oldPlan.CollateralBytes);
        var latePlan = listener.LastPlans[late];
        Assert.Equal(["UNMAP [0x0..0x4000)", "MAP [0x0..0x2000) -> ram@0x0 rw"], latePlan.Operations.Select(o => o.ToString())); // A' [0x0, 0x4000), A [0x0, 0x2000)
        Assert.Equal((UInt128)0x2000, latePlan.CollateralBytes);
        Assert.Equal(1, latePlan.LargestWindow);
        Assert.Equal(old.Mappings, late.Mappings);
        Assert.Empty(listener.Failures);
    }

    [Fact]
    public void NaiveVfioListener_HostPage64KiB_MapsOnlyTheAlignedInterior()
    {
        var (_, container, topology) = Naive(options: DmaOptions.Default with { HostPageSize = 0x1_0000 });

        topology.Commit(FlatView.Create([Ram(0x1000, 0x3_0000, 0x1000)])); // [0x1000, 0x31000)

        Assert.Equal([Mapping(0x1_0000, 0x3_0000, 0x1_0000)], container.Mappings); // interior [0x10000, 0x30000)
    }

    [Fact]
    public void NaiveVfioListener_WholeSpaceRamRemovedWithUnmapAll_IssuesUnmapAll()
    {
        var (listener, container, topology) = Naive(FlatView.Create([Ram(0, AddressSpace.End, 0)])); // [0x0, 2^64)

        topology.Commit(FlatView.Empty);

        Assert.Equal<DmaOperation>([new DmaOperation.UnmapAll()], listener.OperationsOf(container, listener.Transaction));
        Assert.Empty(container.Mappings);
    }

    [Fact]
    public void NaiveVfioListener_WholeSpaceRamRemovedWithoutUnmapAll_IssuesTwoHalves()
    {
        var (listener, container, topology) = Naive(FlatView.Create([Ram(0, AddressSpace.End, 0)]), traits: DmaBackendTraits.SplitCapable with { SupportsUnmapAll = false }); // [0x0, 2^64)

        topology.Commit(FlatView.Empty);

        Assert.Equal(
            [
                new DmaOperation.Unmap(new AddressRange(0, (UInt128)1 << 63)), // [0x0, 0x8000_0000_0000_0000)
                new DmaOperation.Unmap(new AddressRange(1UL << 63, (UInt128)1 << 63)), // [0x8000_0000_0000_0000, 2^64)
            ],
            listener.OperationsOf(container, listener.Transaction));
        Assert.Empty(container.Mappings);
    }

    [Fact]
    public void Plan_WholeSpaceUnmappedWithUnmapAllAndRemappedUpToTop_WindowCountsFromTheOneUnmap()
    {
        // Found by P_DL_04: a restored range ending at 2^64 was credited to a second UNMAP that unmap-all never issues.
        var live = new[] { new DmaMapping(AddressRange.FromBounds(0, AddressSpace.End), "ram", 0, true) }; // [0x0, 2^64)
        var desired = FlatView.Create(
        [
            Ram(0, 0x1000, 0x1000), // [0x0, 0x1000) now shows another part of ram
            Ram(0x1000, AddressSpace.End - 0x1000, 0x1000), // [0x1000, 2^64) keeps its translation
        ]);

        var plan = DmaPlanner.Plan(live, DmaMap.Of(desired, DmaOptions.Default), PlanOptions.Default);

        Assert.Equal(["UNMAP all", "MAP [0x0..0x1000) -> ram@0x1000 rw", "MAP [0x1000..0x1_0000_0000_0000_0000) -> ram@0x1000 rw"], plan.Operations.Select(o => o.ToString()));
        Assert.Equal(2, plan.LargestWindow);
        Assert.Equal(AddressSpace.End - 0x1000, plan.CollateralBytes);
    }

    [Fact]
    public void Plan_WholeSpaceMappingChangedWithoutUnmapAll_CutsAtAMappingBoundary()
    {
        var live = new[] { Mapping(0, 0x1000, 0), new DmaMapping(AddressRange.FromBounds(0x1000, AddressSpace.End), "ram", 0x1000, true) }; // [0x0, 0x1000), [0x1000, 2^64)
        var traits = DmaBackendTraits.Type1 with { SupportsUnmapAll = false };

        var plan = DmaPlanner.Plan(live, DmaMap.Empty, PlanOptions.Default with { Backend = traits });

        Assert.Equal(
            [new DmaOperation.Unmap(AddressRange.FromBounds(0, 0x1000)), new DmaOperation.Unmap(AddressRange.FromBounds(0x1000, AddressSpace.End))], // [0x0, 0x1000), [0x1000, 2^64)
            plan.Operations.ToArray());
        var backend = Container(traits: traits);
        foreach (var m in live)
        {
            backend.Map(m);
        }

        Assert.All(plan.Operations, op => Assert.True(backend.Unmap(((DmaOperation.Unmap)op).Iova).Succeeded));
    }

    [Fact]
    public void CoalescingListener_PlanOverEntryLimit_RefusedAndNothingApplied()
    {
        var view = FlatView.Create([Ram(0, 0x1000, 0, region: "a"), Ram(0x2000, 0x1000, 0, region: "b"), Ram(0x4000, 0x1000, 0, region: "c")]); // [0x0, 0x1000), [0x2000, 0x3000), [0x4000, 0x5000)
        var (listener, container, _) = Coalescing(view, PlanOptions.Default, DmaBackendTraits.Type1 with { EntryLimit = 2 });

        var plan = listener.LastPlans[container];

        Assert.True(plan.ExceedsEntryLimit);
        Assert.Equal(3, plan.PeakLiveMappings);
        Assert.Empty(container.Mappings);
        Assert.Empty(container.Calls);
        Assert.Empty(listener.HistoryOf(container));
    }

    [Fact]
    public void Unmap_BisectUnderType1_ReturnsEinvalAndChangesNothing()
    {
        var backend = Container();
        backend.Map(Mapping(0, 0x4000, 0)); // [0x0, 0x4000)

        var middle = backend.Unmap(AddressRange.FromBounds(0x1000, 0x2000)); // [0x1000, 0x2000)
        var head = backend.Unmap(AddressRange.FromBounds(0, 0x2000)); // [0x0, 0x2000)

        Assert.Equal(Errno.EINVAL, middle.Error);
        Assert.Equal(Errno.EINVAL, head.Error);
        Assert.Equal([Mapping(0, 0x4000, 0)], backend.Mappings);
    }

    [Fact]
    public void Unmap_RangeWithHolesUnderType1_RemovesWholeMappingsAndReportsTheirSizes()
    {
        var backend = Container();
        backend.Map(Mapping(0x1000, 0x2000, 0)); // [0x1000, 0x2000)
        backend.Map(Mapping(0x4000, 0x6000, 0x4000)); // [0x4000, 0x6000)

        var result = backend.Unmap(AddressRange.FromBounds(0, 0x8000)); // [0x0, 0x8000)

        Assert.Equal(DmaResult.Ok(0x3000), result);
        Assert.Empty(backend.Mappings);
    }

    [Fact]
    public void Unmap_MiddleOnSplitCapableBackend_CutsAndKeepsOutsideParts()
    {
        var backend = Container(traits: DmaBackendTraits.SplitCapable);
        backend.Map(Mapping(0, 0x4000, 0x10_0000)); // [0x0, 0x4000)

        var result = backend.Unmap(AddressRange.FromBounds(0x1000, 0x2000)); // [0x1000, 0x2000)

        Assert.Equal(DmaResult.Ok(0x1000), result);
        Assert.Equal([Mapping(0, 0x1000, 0x10_0000), Mapping(0x2000, 0x4000, 0x10_2000)], backend.Mappings); // [0x0, 0x1000), [0x2000, 0x4000)
    }

    [Fact]
    public void Map_OverlappingOrPastEntryLimit_ReturnsEexistThenEnospc()
    {
        var backend = Container(traits: DmaBackendTraits.Type1 with { EntryLimit = 1 });
        backend.Map(Mapping(0, 0x2000, 0)); // [0x0, 0x2000)

        Assert.Equal(Errno.EEXIST, backend.Map(Mapping(0x1000, 0x3000, 0)).Error); // [0x1000, 0x3000)
        Assert.Equal(Errno.ENOSPC, backend.Map(Mapping(0x2000, 0x3000, 0)).Error); // [0x2000, 0x3000)
        Assert.Equal(Errno.EINVAL, backend.Map(new DmaMapping(default, "ram", 0, true)).Error);
    }

    [Fact]
    public void Plan_FixedGranuleFreshContainer_SplitsAtGranuleMultiples()
    {
        var desired = DmaMap.Of(FlatView.Create([Ram(0x10_0000, 0x50_0000, 0)]), DmaOptions.Default); // [0x100000, 0x600000)

        var plan = DmaPlanner.Plan([], desired, PlanOptions.Default with { Granularity = MappingGranularity.FixedGranule });

        Assert.Equal(
            ["MAP [0x100000..0x200000) -> ram@0x0 rw", "MAP [0x200000..0x400000) -> ram@0x100000 rw", "MAP [0x400000..0x600000) -> ram@0x300000 rw"],
            plan.Operations.Select(o => o.ToString()));
        Assert.Equal(3, plan.LiveMappingsAfter);
    }

    [Fact]
    public void PlanOptions_GranuleNotPowerOfTwo_ThrowsNamingGranule()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PlanOptions.Default with { Granule = 0x3000 });

        Assert.Equal(nameof(PlanOptions.Granule), error.ParamName);
    }

    [Fact]
    public void RemoveContainer_AfterReplay_UnmapsAllAndForgetsIt()
    {
        var (listener, container, _) = Coalescing(Apart, PlanOptions.Default);

        var plan = listener.RemoveContainer(container);

        Assert.Equal<DmaOperation>([new DmaOperation.UnmapAll()], plan.Operations.ToArray());
        Assert.Empty(container.Mappings);
        Assert.Empty(listener.Containers);
    }

    [Fact]
    public void NaiveVfioListener_IommuSectionAddedAndRemoved_NotifierInsteadOfMapThenOneBigUnmap()
    {
        var (listener, _, topology) = Naive();
        var iommu = new FlatRange(AddressRange.FromBounds(0, 0x1_0000_0000), "vtd-iommu", RegionKind.Iommu, 0); // [0x0, 0x1_0000_0000)

        topology.Commit(FlatView.Create([iommu]));
        Assert.Empty(listener.Log);
        topology.Commit(FlatView.Empty);

        // hw/vfio/listener.c region_del: notifier unregistered, then one unmap over the whole section
        Assert.Equal([true, false], listener.Notifiers.Select(n => n.Registered));
        Assert.Equal<DmaOperation>([new DmaOperation.Unmap(iommu.Range)], listener.Log.Select(c => c.Operation).ToArray());
    }

    [Fact]
    public void NaiveVfioListener_WholeSpaceIommuSectionRemoved_UnmapsAllOrTwoHalves()
    {
        var iommu = new FlatRange(new AddressRange(0, AddressSpace.End), "vtd-iommu", RegionKind.Iommu, 0); // [0x0, 2^64)
        var (withUnmapAll, _, topology) = Naive();
        topology.Commit(FlatView.Create([iommu]));
        topology.Commit(FlatView.Empty);
        var (withoutUnmapAll, _, older) = Naive(traits: DmaBackendTraits.Type1 with { SupportsUnmapAll = false });
        older.Commit(FlatView.Create([iommu]));
        older.Commit(FlatView.Empty);

        Assert.Equal<DmaOperation>([new DmaOperation.UnmapAll()], withUnmapAll.Log.Select(c => c.Operation).ToArray());
        Assert.Equal<DmaOperation>(
            [new DmaOperation.Unmap(new AddressRange(0, 1UL << 63)), new DmaOperation.Unmap(new AddressRange(1UL << 63, 1UL << 63))], // [0, 2^63), [2^63, 2^64)
            withoutUnmapAll.Log.Select(c => c.Operation).ToArray());
    }

    [Fact]
    public void Measure_UnmapNeverFollowedByMap_WindowRunsToTheEnd()
    {
        var live = new[] { Mapping(0, 0x2000, 0) }; // [0x0, 0x2000)
        var desired = DmaMap.Of(Merged, DmaOptions.Default); // still maps [0x0, 0x4000) with the same translation
        DmaOperation[] ops = [new DmaOperation.Unmap(AddressRange.FromBounds(0, 0x2000)), new DmaOperation.Map(Mapping(0x2000, 0x4000, 0x2000))]; // [0x0, 0x2000), [0x2000, 0x4000)

        var measured = DmaPlanMetrics.Measure(live, ops, desired, DmaBackendTraits.Type1);

        Assert.Equal((UInt128)0x2000, measured.CollateralBytes);
        Assert.Equal(2, measured.LargestWindow);
        Assert.Equal(1, measured.LiveMappingsAfter);
    }

    [Fact]
    public void CoalescingListener_RefusedPlanThenSmallerView_ConvergesFromTheOldHistory()
    {
        var three = FlatView.Create([Ram(0, 0x1000, 0, region: "a"), Ram(0x2000, 0x1000, 0, region: "b"), Ram(0x4000, 0x1000, 0, region: "c")]); // [0x0, 0x1000), [0x2000, 0x3000), [0x4000, 0x5000)
        var (listener, container, topology) = Coalescing(Apart, PlanOptions.Default, DmaBackendTraits.Type1 with { EntryLimit = 2 });

        topology.Commit(three);
        Assert.True(listener.LastPlans[container].ExceedsEntryLimit);
        Assert.Equal([Mapping(0, 0x2000, 0), Mapping(0x2000, 0x4000, 0x2000)], container.Mappings); // A and B untouched
        topology.Commit(Merged);

        Assert.True(listener.LastPlans[container].IsEmpty);
        Assert.Equal(container.Mappings, listener.HistoryOf(container));
        Assert.Empty(listener.Failures);
    }

    [Theory]
    [InlineData(false, true, MappingGranularity.PerRange)]
    [InlineData(false, false, MappingGranularity.RegionBoundaries)]
    [InlineData(true, true, MappingGranularity.FixedGranule)]
    [InlineData(true, false, MappingGranularity.PerRange)]
    public void Plan_RandomHistoriesNearZeroAndTop_LegalReachesDesiredAndMeasuresLikeMetrics(bool bisect, bool unmapAll, MappingGranularity granularity)
    {
        const ulong Page = 0x1000;
        const int Pages = 48;
        var traits = DmaBackendTraits.Type1 with { UnmapMayBisect = bisect, SupportsUnmapAll = unmapAll };
        var random = new Random(1234);
        for (int round = 0; round < 500; round++)
        {
            // Half the rounds sit at the top of the space so that mappings end at 2^64.
            ulong bas = round % 2 == 0 ? 0 : (ulong)(AddressSpace.End - (Pages * Page));
            var live = RandomMappings(random, bas, Pages, Page);
            var desired = DmaMap.Of(FlatView.Create(RandomMappings(random, bas, Pages, Page).Select(m =>
                new FlatRange(m.Iova, m.Region, RegionKind.Ram, m.Offset, ReadOnly: !m.Writable, DirtyLogMask: (byte)random.Next(2)))), DmaOptions.Default);
            var splits = Enumerable.Range(0, Pages).Where(_ => random.Next(4) == 0).Select(k => bas + ((ulong)k * Page)).ToList();
            var options = new PlanOptions { Granularity = granularity, Granule = 0x4000, Backend = traits };

            var plan = DmaPlanner.Plan(live, desired, options, splits);

            var backend = Container(traits: traits with { EntryLimit = int.MaxValue });
            live.ForEach(m => backend.Map(m));
            foreach (var op in plan.Operations)
            {
                var result = op switch
                {
                    DmaOperation.Map m => backend.Map(m.Mapping),
                    DmaOperation.Unmap u => backend.Unmap(u.Iova),
                    _ => backend.UnmapAll(),
                };
                Assert.True(result.Succeeded, $"round {round}: {op} => {result}\nlive: {string.Join(", ", live)}\nplan:\n{plan}");
            }

            UInt128 forced = 0;
            bool anyChange = false;
            for (int k = 0; k < Pages; k++)
            {
                ulong a = bas + ((ulong)k * Page);
                Assert.Equal(desired.Translate(a), TranslateIn(backend.Mappings, a));
                anyChange |= TranslateIn(live, a) != desired.Translate(a);
            }

            foreach (var l in live)
            {
                ulong same = (ulong)Enumerable.Range(0, (int)(l.Iova.Size / Page)).Select(k => l.Iova.Start + ((ulong)k * Page)).Count(a => desired.Translate(a) == l.TranslationAt(a));
                if (same * Page != l.Iova.Size)
                {
                    forced += (UInt128)same * Page;
                }
            }

            var measured = DmaPlanMetrics.Measure(live, plan.Operations, desired, traits);
            Assert.Equal(bisect ? UInt128.Zero : forced, plan.CollateralBytes);
            Assert.Equal(measured.CollateralBytes, plan.CollateralBytes);
            Assert.Equal(measured.LargestWindow, plan.LargestWindow);
            Assert.Equal(measured.LiveMappingsAfter, plan.LiveMappingsAfter);
            Assert.Equal(measured.PeakLiveMappings, plan.PeakLiveMappings);
            Assert.Equal(backend.Mappings.Count, plan.LiveMappingsAfter);
            Assert.Equal(anyChange, !plan.IsEmpty);
        }
    }

    [Fact]
    public void CoalescingListener_RandomTransactionsWithHotplug_EveryContainerTranslatesTheViewWithoutFailures()
    {
        const ulong Page = 0x1000;
        const int Pages = 40;
        var random = new Random(99);
        for (int run = 0; run < 40; run++)
        {
            var listener = new CoalescingListener(DmaOptions.Default, PlanOptions.Default with { Granularity = run % 3 == 0 ? MappingGranularity.FixedGranule : MappingGranularity.PerRange, Granule = 0x4000 });
            var naive = new NaiveVfioListener(DmaOptions.Default);
            var topology = new MemoryTopology();
            topology.Register(listener);
            topology.Register(naive);
            var naiveContainer = Container("naive");
            naive.AddContainer(naiveContainer);
            for (int step = 0; step < 30; step++)
            {
                if (random.Next(6) == 0)
                {
                    listener.AddContainer(Container($"c{step}", random.Next(2) == 0 ? DmaBackendTraits.Type1 : DmaBackendTraits.SplitCapable));
                }

                var ranges = RandomMappings(random, 0, Pages, Page).Select(m =>
                    new FlatRange(m.Iova, m.Region, random.Next(8) == 0 ? RegionKind.Io : RegionKind.Ram, m.Offset, ReadOnly: !m.Writable, DirtyLogMask: (byte)random.Next(2)));
                var view = FlatView.Create(ranges).Simplify();
                topology.Commit(view);

                var desired = DmaMap.Of(view, DmaOptions.Default);
                Assert.Empty(listener.Failures);
                Assert.All(naive.Log, c => Assert.True(c.Result.Succeeded, c.ToString()));
                Assert.Equal(view, listener.View);
                foreach (var container in listener.Containers.Append(naiveContainer))
                {
                    for (int k = 0; k < Pages; k++)
                    {
                        ulong a = (ulong)k * Page;
                        Assert.Equal(desired.Translate(a), TranslateIn(container.Mappings, a));
                    }
                }
            }
        }
    }

    private static List<DmaMapping> RandomMappings(Random random, ulong bas, int pages, ulong page)
    {
        var result = new List<DmaMapping>();
        int k = 0;
        while (k < pages)
        {
            int length = 1 + random.Next(Math.Min(12, pages - k));
            if (random.Next(4) != 0)
            {
                // Few regions and offsets tied to the address make equal translations common.
                string region = random.Next(3) == 0 ? "other" : "ram";
                ulong offset = random.Next(3) == 0 ? (ulong)random.Next(8) * page : (ulong)k * page;
                result.Add(new DmaMapping(new AddressRange(bas + ((ulong)k * page), (ulong)length * page), region, offset, random.Next(4) != 0));
            }

            k += length;
        }

        return result;
    }

    private static DmaTranslation? TranslateIn(IReadOnlyList<DmaMapping> mappings, ulong iova) =>
        mappings.Where(m => m.Iova.Contains(iova)).Select(m => (DmaTranslation?)m.TranslationAt(iova)).FirstOrDefault();

    // The 16 KiB segment is unmapped and mapped read-only; nothing else is touched, so nothing is collateral.
    private static void AssertTouchesOnlySegmentE8000(CoalescingListener listener, MappingSetBackend container)
    {
        var plan = listener.LastPlans[container];
        Assert.Equal(
            ["UNMAP [0xe8000..0xec000)", "MAP [0xe8000..0xec000) -> pc.ram@0xe8000 ro"], // [0xe8000, 0xec000)
            plan.Operations.Select(o => o.ToString()));
        Assert.Equal(UInt128.Zero, plan.CollateralBytes);
        Assert.Equal(0, plan.LargestWindow);
        Assert.Empty(listener.Failures);
        Assert.Equal(listener.Map.Runs().ToArray(), DmaMapOf(container).Runs().ToArray());
        Assert.Equal(plan.LiveMappingsAfter, container.Mappings.Count);
    }

    private static DmaMap DmaMapOf(IDmaBackend container) =>
        DmaMap.Of(FlatView.Create(container.Mappings.Select(m => new FlatRange(m.Iova, m.Region, RegionKind.Ram, m.Offset, ReadOnly: !m.Writable))), DmaOptions.Default);
}
