using Verify.Harness.Running;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Topology;
using Verify.Vfio;
using Xunit.Abstractions;

namespace Verify.Properties;

public class Type1ExampleTests(ITestOutputHelper output)
{
    private const ulong FourK = 0x1000;
    private const ulong TwoM = 0x20_0000;
    private const ulong TiB = 1UL << 40;
    private const ulong Hva = 0x7f00_0000_0000;
    private const ulong LastPage = 0xFFFF_FFFF_FFFF_F000;

    public static TheoryData<string, string> KnownBugs => new()
    {
        { "type1-bisects-under-v2", "the oracle gives EINVAL" },
        { "type1-unpins-before-iotlb-sync", "without domain0's unmap then sync before it" },
        { "type1-charges-reserved-pfns", "locked_vm" },
        { "type1-pin-without-reference", "external pins" },
        { "type1-unmap-ignores-external-pins", "called back 0 times" },
        { "type1-migrates-pinned-pages", "migrated" },
    };

    [Theory]
    [MemberData(nameof(KnownBugs))]
    public void Property_DeliberatelyBrokenContainer_CaughtNamingTheBrokenRule(string name, string expected)
    {
        var variant = Verify.Harness.Variants.BrokenVariants.All.Single(v => v.Name == name);
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get(variant.CaughtBy), PropertyBudget.Default with { StartSeed = 20261121 }, implementation: variant.Implementation);

        Assert.False(outcome.Passed);
        output.WriteLine(outcome.Report);
        Assert.Contains(expected, outcome.Report, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\[0\] process qemu-", outcome.Counterexample!);
    }

    [Fact]
    public void Pin_OneTebibyte_KeepsOneRunAndChargesIt()
    {
        var host = new HostMemory();
        host.AddVirtualRange(Hva, TiB, 0); // hva [0x7f00_0000_0000, +1 TiB) -> hpa [0, 1 TiB)

        var error = host.Pin(Hva, TiB, AccountingMode.PerMapping, out var pinned);

        Assert.Equal(Errno.None, error);
        Assert.Single(pinned);
        Assert.Equal([new PinRun(0, TiB, 1)], host.PinnedRuns);
        Assert.Equal(TiB, host.LockedVm);
        host.Unpin(pinned, AccountingMode.PerMapping);
        Assert.Empty(host.PinnedRuns);
        Assert.Equal(0UL, host.LockedVm);
    }

    [Fact]
    public void MapDma_OneTebibyteThenUnmapAll_OneRunOneGibLeavesAndEverythingReturned()
    {
        var host = new HostMemory();
        host.AddVirtualRange(Hva, TiB, 1UL << 40); // hva [0x7f00_0000_0000, +1 TiB) -> hpa [1 TiB, 2 TiB)
        var container = new Type1Container("c", Type1Options.Default, host, RamBlocks.Empty, [PageTableOptions.Default]);

        Assert.Equal(new(Errno.None, TiB), container.MapDma(Type1MapFlags.Read | Type1MapFlags.Write, 0, Hva, TiB)); // [0, 1 TiB)

        Assert.Equal([new PinRun(1UL << 40, TiB, 1)], host.PinnedRuns);
        Assert.Equal(1024, container.Domains[0].Leaves().Count);
        Assert.Equal(new(Errno.None, TiB), container.UnmapAll());
        Assert.Empty(host.PinnedRuns);
        Assert.Equal(0UL, host.LockedVm);
    }

    [Fact]
    public void Pin_RlimitReachedExactlyThenOnePageMore_SucceedsThenEnomemWithNothingCharged()
    {
        var host = new HostMemory { RlimitMemlock = TwoM };
        host.AddVirtualRange(Hva, 4 * TwoM, 0x1_0000_0000); // hva [0x7f00_0000_0000, +8M)

        Assert.Equal(Errno.None, host.Pin(Hva, TwoM, AccountingMode.PerMapping, out _));
        Assert.Equal(Errno.ENOMEM, host.Pin(Hva + TwoM, FourK, AccountingMode.PerMapping, out _));
        Assert.Equal(TwoM, host.LockedVm);
        Assert.Equal([new PinRun(0x1_0000_0000, TwoM, 1)], host.PinnedRuns);
    }

    [Fact]
    public void Pin_ReservedBar_NeitherCountedNorCharged()
    {
        var host = new HostMemory { RlimitMemlock = 0 };
        host.AddVirtualRange(Hva, 0x1_0000, 0xfe00_0000); // hva [0x7f00_0000_0000, +64K) -> BAR
        host.AddReservedRange(0xfe00_0000, 0x1_0000);     // hpa [0xfe00_0000, 0xfe01_0000)

        Assert.Equal(Errno.None, host.Pin(Hva, 0x1_0000, AccountingMode.PerMapping, out _));
        Assert.Empty(host.PinnedRuns);
        Assert.Equal(0UL, host.LockedVm);
    }

    [Fact]
    public void MapDma_LastPageOfTheSpace_PassesTheWrapCheckButNotTheValidRange()
    {
        var container = NewContainer(Type1Options.Default);

        Assert.Equal(Errno.EINVAL, container.MapDma(Type1MapFlags.Read, LastPage, Hva, FourK).Error);           // [2^64 - 4K, 2^64)
        Assert.Equal(Errno.EOVERFLOW, container.MapDma(Type1MapFlags.Read, LastPage, Hva, 2 * FourK).Error);    // wraps
        Assert.Equal(Errno.EINVAL, NewContainer(Type1Options.Default with { WrapErrno = Errno.EINVAL })
            .MapDma(Type1MapFlags.Read, LastPage, Hva, 2 * FourK).Error);
        Assert.Equal(new(Errno.None, 0), container.UnmapDma(Type1UnmapFlags.None, LastPage, FourK));            // the last page unmaps: empty, ok
    }

    [Fact]
    public void UnmapDma_BisectUnderV2_EinvalAndEverythingStays()
    {
        var container = NewContainer(Type1Options.Default);
        Assert.True(container.MapDma(Type1MapFlags.Read | Type1MapFlags.Write, TwoM, Hva, TwoM).Succeeded); // [0x200000, 0x400000)
        ulong charged = container.Host.LockedVm;

        Assert.Equal(Errno.EINVAL, container.UnmapDma(Type1UnmapFlags.None, TwoM + FourK, TwoM - FourK).Error); // [0x201000, 0x400000)
        Assert.Equal(Errno.EINVAL, container.UnmapDma(Type1UnmapFlags.None, TwoM, TwoM - FourK).Error);         // [0x200000, 0x3ff000)
        Assert.Single(container.Type1Mappings);
        Assert.Equal(charged, container.Host.LockedVm);
        Assert.NotNull(container.Domains[0].Translate(TwoM));
    }

    [Fact]
    public void UnmapDma_UnderV1StartingInsideThenCoveringTheStart_ZeroThenWholeMapping()
    {
        var container = NewContainer(Type1Options.Default with { Version = Type1Version.V1 });
        Assert.True(container.MapDma(Type1MapFlags.Read, TwoM, Hva, TwoM).Succeeded); // [0x200000, 0x400000)

        Assert.Equal(new(Errno.None, 0), container.UnmapDma(Type1UnmapFlags.None, TwoM + FourK, FourK)); // [0x201000, 0x202000)
        Assert.Equal(new(Errno.None, TwoM), container.UnmapDma(Type1UnmapFlags.None, TwoM, FourK));       // [0x200000, 0x201000)
        Assert.Empty(container.Type1Mappings);
        Assert.Equal(0UL, container.Host.LockedVm);
    }

    [Fact]
    public void MapDma_SecondDomainRefusesTheIova_FirstDomainUnmappedSyncedThenUnpinnedAndNothingCharged()
    {
        var host = new HostMemory();
        host.AddVirtualRange(Hva, TwoM, 0x1_0000_0000); // hva [0x7f00_0000_0000, +2M)
        var options = Type1Options.Default with { ValidIovaRanges = [AddressRange.FromBounds(0, (UInt128)1 << 57)] };
        var container = new Type1Container("c", options, host, RamBlocks.Empty,
            [new PageTableOptions { Format = PageTableFormat.X86_64FiveLevel }, PageTableOptions.Default]);

        var result = container.MapDma(Type1MapFlags.Read, 1UL << 50, Hva, TwoM); // [2^50, 2^50 + 2M): past the 48-bit domain

        Assert.Equal(Errno.ERANGE, result.Error);
        Assert.Empty(container.Type1Mappings);
        Assert.Empty(container.Domains[0].Leaves());
        Assert.Empty(host.PinnedRuns);
        Assert.Equal(0UL, host.LockedVm);
        Assert.Equal(
            ["Pin [0x4000000000000..0x4000000200000)", "DomainMap domain0 [0x4000000000000..0x4000000200000)",
             "DomainUnmap domain0 [0x4000000000000..0x4000000200000)", "sync domain0", "Unpin [0x4000000000000..0x4000000200000)"],
            container.Steps.Select(s => s.ToString()));
    }

    [Fact]
    public void Constructor_LazyDomain_ThrowsNamingDomains()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Type1Container("c", Type1Options.Default, new HostMemory(), RamBlocks.Empty,
            [PageTableOptions.Default with { Flush = FlushMode.Lazy }]));
        Assert.Equal("domains", e.ParamName);
    }

    [Fact]
    public void NaiveVfioListener_MergeAPlusBIntoAPrimeOnType1_RemapsThroughUnpinAfterSyncAndTranslatesTheSame()
    {
        // A [0x0, 0x2000) and B [0x2000, 0x4000) of region "ram" (kept apart by a dirty mask) become A' [0x0, 0x4000).
        var apart = FlatView.Create([Ram(0, 0x2000, 0, dirty: 1), Ram(0x2000, 0x2000, 0x2000)]);
        var merged = FlatView.Create([Ram(0, 0x4000, 0)]);
        var host = new HostMemory();
        host.AddVirtualRange(Hva, 0x4000, 0x1_0000_0000); // hva [0x7f00_0000_0000, +16K) -> hpa [4 GiB, +16K)
        var container = new Type1Container("container0", Type1Options.Default, host, RamBlocks.Empty.With("ram", Hva, 0x4000), [PageTableOptions.Default]);
        var listener = new NaiveVfioListener(DmaOptions.Default);
        var topology = new MemoryTopology(apart);
        topology.Register(listener);
        listener.AddContainer(container);
        var before = Enumerable.Range(0, 4).Select(p => container.Domains[0].Translate((ulong)p * FourK)).ToList();
        int stepsBefore = container.Steps.Count;

        topology.Commit(merged);

        Assert.All(listener.Log, c => Assert.True(c.Result.Succeeded));
        Assert.Equal(["[0x0..0x4000) -> ram@0x0 rw"], container.Mappings.Select(m => m.ToString()));
        Assert.Equal(before, Enumerable.Range(0, 4).Select(p => container.Domains[0].Translate((ulong)p * FourK)));
        Assert.Equal(
            ["DomainUnmap domain0 [0x0..0x2000)", "sync domain0", "Unpin [0x0..0x2000)",
             "DomainUnmap domain0 [0x2000..0x4000)", "sync domain0", "Unpin [0x2000..0x4000)",
             "Pin [0x0..0x4000)", "DomainMap domain0 [0x0..0x4000)"],
            container.Steps.Skip(stepsBefore).Select(s => s.ToString()));
        Assert.Equal(0x4000UL, host.LockedVm);
    }

    [Fact]
    public void Libvirt_FourDevicesWithViommu_FourTimesRamPlusOneGib()
    {
        Assert.Equal((4 * (16UL << 30)) + (1UL << 30), MemlockLimit.Libvirt(16UL << 30, 4, hasViommu: true));
        Assert.Equal((16UL << 30) + (1UL << 30), MemlockLimit.Libvirt(16UL << 30, 4, hasViommu: false));
        Assert.Equal((16UL << 30) + (1UL << 30), MemlockLimit.LibvirtLegacy(16UL << 30));
    }

    private static FlatRange Ram(ulong start, ulong size, ulong offset, byte dirty = 0) =>
        new(new AddressRange(start, size), "ram", RegionKind.Ram, offset, DirtyLogMask: dirty);

    [Fact]
    public void PinPages_TwiceThenUnpinOnce_PageStaysPinnedWithOneReference()
    {
        var container = NewContainer(Type1Options.Default, domains: 0);
        Assert.Equal(Errno.None, container.RegisterDevice("vgpu0", Type1DeviceCallback.UnpinsAll));
        Assert.True(container.MapDma(Type1MapFlags.Read | Type1MapFlags.Write, TwoM, Hva, TwoM).Succeeded); // [0x200000, 0x400000)

        // The mdev tracking table (docs/semantics.md 5.4): every lookup is answered, only the first one pins.
        var first = container.PinPages("vgpu0", TwoM, 1, Type1MapFlags.Read);  // [0x200000, 0x201000)
        var second = container.PinPages("vgpu0", TwoM, 1, Type1MapFlags.Read);
        Assert.Equal(FourK, container.Host.LockedVm);                           // no domain: the first pin charges, the second does not
        var unpinned = container.UnpinPages("vgpu0", TwoM, 1);

        Assert.Equal<ulong>([0x1_0000_0000UL], first.Pfns);
        Assert.Equal(first, second);
        Assert.Equal(new(Errno.None, FourK), unpinned);
        Assert.Equal([new Type1ExternalPin(TwoM, 0x1_0000_0000, 1)], container.ExternalPins);
        Assert.Equal(1, container.Host.PinCount(0x1_0000_0000));
        Assert.Equal(FourK, container.Host.LockedVm);
        Assert.True(container.UnpinPages("vgpu0", TwoM, 1).Succeeded);
        Assert.Equal(0, container.Host.PinCount(0x1_0000_0000));
        Assert.Equal(0UL, container.Host.LockedVm);
    }

    [Fact]
    public void PinPages_WithADomain_PinsAgainButChargesNothing()
    {
        var container = NewContainer(Type1Options.Default);
        container.RegisterDevice("vgpu0", Type1DeviceCallback.UnpinsAll);
        container.MapDma(Type1MapFlags.Read, TwoM, Hva, TwoM); // [0x200000, 0x400000)

        Assert.True(container.PinPages("vgpu0", TwoM, 2, Type1MapFlags.Read).Succeeded);

        Assert.Equal(2, container.Host.PinCount(0x1_0000_0000));
        Assert.Equal(TwoM, container.Host.LockedVm);
    }

    [Theory]
    [InlineData(512, Errno.None)]
    [InlineData(513, Errno.E2BIG)]
    [InlineData(0, Errno.EINVAL)]
    public void PinPages_PageCountAtTheLimit_512PinsAnd513IsE2big(int npage, Errno expected)
    {
        var container = NewContainer(Type1Options.Default, domains: 0);
        container.RegisterDevice("vgpu0", Type1DeviceCallback.UnpinsAll);
        container.MapDma(Type1MapFlags.Read, 0, Hva, 4 * TwoM); // [0, 0x800000)

        var result = container.PinPages("vgpu0", 0, npage, Type1MapFlags.Read);

        Assert.Equal(expected, result.Error);
        Assert.Equal(expected == Errno.None ? npage : 0, result.Pfns.Length);
    }

    [Fact]
    public void PinPages_V1Container_Eacces()
    {
        var container = NewContainer(Type1Options.Default with { Version = Type1Version.V1 });
        container.RegisterDevice("vgpu0", Type1DeviceCallback.UnpinsAll);
        container.MapDma(Type1MapFlags.Read, TwoM, Hva, TwoM); // [0x200000, 0x400000)

        Assert.Equal(Errno.EACCES, container.PinPages("vgpu0", TwoM, 1, Type1MapFlags.Read).Error);
        Assert.Equal(Errno.EACCES, container.UnpinPages("vgpu0", TwoM, 1).Error);
    }

    [Fact]
    public void PinPages_AcrossTheMappingsEndOrBeyondItsRights_EinvalOrEpermAndTheCallsPagesUnwound()
    {
        var container = NewContainer(Type1Options.Default, domains: 0);
        container.RegisterDevice("vgpu0", Type1DeviceCallback.UnpinsAll);
        container.MapDma(Type1MapFlags.Read, TwoM, Hva, TwoM); // [0x200000, 0x400000)

        Assert.Equal(Errno.EINVAL, container.PinPages("vgpu0", (2 * TwoM) - FourK, 2, Type1MapFlags.Read).Error); // [0x3ff000, 0x401000)
        Assert.Equal(Errno.EPERM, container.PinPages("vgpu0", TwoM, 1, Type1MapFlags.Write).Error);
        Assert.Equal(Errno.EINVAL, container.PinPages("vgpu1", TwoM, 1, Type1MapFlags.Read).Error);            // not registered
        Assert.Empty(container.ExternalPins);
        Assert.Empty(container.Host.PinnedRuns);
        Assert.Equal(0UL, container.Host.LockedVm);
    }

    [Fact]
    public void PinPages_AfterVaddrUnmap_EbusyUntilVaddrMapRestoresIt()
    {
        var container = NewContainer(Type1Options.Default);
        container.RegisterDevice("vgpu0", Type1DeviceCallback.UnpinsAll);
        container.MapDma(Type1MapFlags.Read, TwoM, Hva, TwoM); // [0x200000, 0x400000)
        var translation = container.Domains[0].Translate(TwoM);

        Assert.Equal(new(Errno.None, TwoM), container.UnmapDma(Type1UnmapFlags.Vaddr, TwoM, TwoM));
        Assert.Equal(Errno.EBUSY, container.PinPages("vgpu0", TwoM, 1, Type1MapFlags.Read).Error);
        Assert.Equal(Errno.EINVAL, container.UnmapDma(Type1UnmapFlags.Vaddr | Type1UnmapFlags.All, 0, 0).Error);  // already invalid
        Assert.Equal(translation, container.Domains[0].Translate(TwoM));
        Assert.Equal(TwoM, container.Host.LockedVm);
        Assert.Equal(Errno.EINVAL, container.MapDma(Type1MapFlags.Vaddr | Type1MapFlags.Read, TwoM, Hva, TwoM).Error);
        Assert.Equal(Errno.EINVAL, container.MapDma(Type1MapFlags.Vaddr, TwoM, Hva, TwoM - FourK).Error);      // [0x200000, 0x3ff000)
        Assert.Equal(Errno.ENOENT, container.MapDma(Type1MapFlags.Vaddr, 4 * TwoM, Hva, TwoM).Error);          // [0x800000, 0xa00000)
        Assert.Equal(new(Errno.None, TwoM), container.MapDma(Type1MapFlags.Vaddr, TwoM, Hva + TwoM, TwoM));
        Assert.Equal(Hva + TwoM, container.Type1Mappings[0].Vaddr);
        Assert.True(container.PinPages("vgpu0", TwoM, 1, Type1MapFlags.Read).Succeeded);
    }

    [Theory]
    [InlineData(Type1DeviceCallback.UnpinsAll, 1, false)]
    [InlineData(Type1DeviceCallback.UnpinsOnePage, 11, false)]
    [InlineData(Type1DeviceCallback.UnpinsOnePage, 12, true)]
    [InlineData(Type1DeviceCallback.UnpinsNothing, 1, true)]
    public void UnmapDma_ExternalPinsHeld_CallsBackAndRetriesAndThe11thRetryIsTheKernelBug(Type1DeviceCallback callback, int pages, bool fatal)
    {
        var container = NewContainer(Type1Options.Default, domains: 0);
        container.RegisterDevice("vgpu0", callback);
        container.MapDma(Type1MapFlags.Read, TwoM, Hva, TwoM); // [0x200000, 0x400000)
        container.PinPages("vgpu0", TwoM, pages, Type1MapFlags.Read);

        var result = container.UnmapDma(Type1UnmapFlags.None, TwoM, TwoM);

        int rounds = container.Steps.Count(s => s.Kind == Type1StepKind.DeviceCallback);
        Assert.Equal(fatal, result.KernelBug);
        Assert.Equal(fatal ? 11 : Math.Min(pages, 11), rounds);
        Assert.Equal(fatal ? new Type1KernelBug(TwoM, TwoM, 11) : null, container.KernelBug);
        Assert.Equal(fatal ? Type1Result.Bug : new(Errno.None, TwoM), result);
        Assert.Equal(fatal, container.MapDma(Type1MapFlags.Read, 0, Hva, FourK).KernelBug); // a dead container refuses every call
        Assert.Equal(fatal, Record.Exception(() => container.UnmapAll()) is InvalidOperationException);
    }

    [Fact]
    public void Migrate_PinnedPageRefusedUnpinnedPageMovedAndRetired()
    {
        var host = new HostMemory();
        host.AddVirtualRange(Hva, TwoM, 0x1_0000_0000); // hva [0x7f00_0000_0000, +2M) -> hpa [4 GiB, +2M)
        Assert.Equal(Errno.None, host.Pin(Hva, FourK, AccountingMode.PerMapping, out _));

        Assert.Equal(Errno.EBUSY, host.Migrate(Hva, FourK, 0x40_0000_0000));
        Assert.Equal(Errno.None, host.Migrate(Hva + FourK, FourK, 0x40_0000_0000));
        Assert.Equal(Errno.EFAULT, host.Migrate(Hva + TwoM, FourK, 0x40_0010_0000));

        Assert.True(host.Resolve(Hva + FourK, FourK, out var moved));
        Assert.Equal(0x40_0000_0000UL, moved[0].Hpa);
        Assert.True(host.IsRetired(0x1_0000_1000));
        Assert.False(host.IsRetired(0x1_0000_0000));
        Assert.Equal(3, host.VirtualRuns.Count);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => host.Migrate(Hva + (2 * FourK), FourK, 0x1_0000_0000));
        Assert.Equal("newHpa", ex.ParamName);
    }

    private static Type1Container NewContainer(Type1Options options, int domains = 1)
    {
        var host = new HostMemory();
        host.AddVirtualRange(Hva, 4 * TwoM, 0x1_0000_0000); // hva [0x7f00_0000_0000, +8M) -> hpa [4 GiB, +8M)
        return new Type1Container("c", options, host, RamBlocks.Empty, Enumerable.Repeat(PageTableOptions.Default, domains));
    }
}
