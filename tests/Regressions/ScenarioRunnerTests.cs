using Verify.Harness.Execution;
using Verify.Harness.Scenarios;

namespace Verify.Regressions;

/// <summary>What the runner reports for raw ioctls, broken expectations, refused views and steps that cannot run.</summary>
public class ScenarioRunnerTests
{
    private static ScenarioReport Run(string steps) =>
        ScenarioRunner.Run(ScenarioReader.Read($$"""{ "format": "verify-scenario", "version": 1, "steps": [ {{steps}} ] }"""));

    [Fact]
    public void Run_RawCallsOnAContainer_ReturnTheType1Results()
    {
        var report = Run("""
            { "container": { "name": "c0" } },
            { "map": { "container": "c0", "iova": "0x10000", "size": "64K", "region": "ram", "offset": "0x10000" },
              "expect": { "errno": "none", "size": "64K", "ioctls": { "c0": 1 } } },
            { "map": { "container": "c0", "iova": "0x18000", "size": "4K", "region": "ram" }, "expect": { "errno": "EEXIST" } },
            { "unmap": { "container": "c0", "iova": "0x10000", "size": "4K" }, "expect": { "errno": "EINVAL" } },
            { "unmap-all": { "container": "c0" }, "expect": { "errno": "none", "size": "0x10000", "mappings": { "c0": [] } } }
            """); // [0x10000, 0x20000), then [0x18000, 0x19000) overlapping, then a bisecting [0x10000, 0x11000)

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_WrongIoctlCount_IsReportedAsABrokenExpectationOfThatStep()
    {
        var report = Run("""
            { "container": { "name": "c0" } },
            { "map": { "container": "c0", "iova": "0x1000", "size": "4K", "region": "ram" }, "expect": { "ioctls": { "c0": 2 } } }
            """); // [0x1000, 0x2000)

        Assert.False(report.Holds);
        Assert.Equal("c0: 1 ioctl(s), expected 2", Assert.Single(report.Steps[1].BrokenExpectations));
    }

    [Fact]
    public void Run_InvalidExplicitView_IsRefusedAndHolds()
    {
        var report = Run("""
            { "view": { "ranges": [
                { "start": "0x2000", "end": "0x3000", "region": "a", "kind": "ram" },
                { "start": "0x1000", "end": "0x2800", "region": "b", "kind": "ram" } ] } }
            """); // [0x2000, 0x3000) then [0x1000, 0x2800): out of order and overlapping

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.StartsWith("refused: ", report.Steps[0].Result, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_StepThatCannotRun_StopsTheReplayAndSaysWhy()
    {
        var report = Run("""{ "root": { "name": "r" } }, { "move": { "region": "nowhere", "address": "0" } }, { "commit": {} }""");

        Assert.False(report.Holds);
        Assert.Equal(1, report.NotRun);
        Assert.Contains("nowhere", report.Steps[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ListenerOnExplicitViews_MapsTheDmaVisiblePagesOnly()
    {
        var report = Run("""
            { "listener": { "name": "l", "kind": "coalescing" } },
            { "container": { "name": "c0" } },
            { "hotplug": { "container": "c0", "listener": "l" } },
            { "view": { "ranges": [
                { "start": "0x0", "end": "0x1800", "region": "ram", "kind": "ram" },
                { "start": "0x1800", "end": "0x4000", "region": "mmio", "kind": "io" } ] },
              "expect": { "mappings": { "c0": ["[0x0..0x1000) -> ram@0x0 rw"] },
                          "translations": [ { "container": "c0", "iova": "0x1000", "to": null } ] } }
            """); // RAM [0x0, 0x1800) has the page-aligned interior [0x0, 0x1000); i/o [0x1800, 0x4000) is not DMA-able

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_PlanPastTheEntryLimit_IsReportedNotAppliedAndHolds()
    {
        var report = Run("""
            { "listener": { "name": "l", "kind": "coalescing" } },
            { "container": { "name": "c0", "entry-limit": 1 } },
            { "hotplug": { "container": "c0", "listener": "l" } },
            { "view": { "ranges": [
                { "start": "0x0", "end": "0x1000", "region": "a", "kind": "ram" },
                { "start": "0x1000", "end": "0x2000", "region": "b", "kind": "ram" } ] },
              "expect": { "ioctls": { "c0": 0 }, "mappings": { "c0": [] } } }
            """); // two RAM regions [0x0, 0x1000) and [0x1000, 0x2000) need two mappings; the container takes one

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.Contains("plan refused", report.Steps[3].Result, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Type1V1Unmap_RemovesNothingFromInsideAndWholeMappingsFromTheirStart()
    {
        var report = Run("""
            { "container": { "name": "c0", "version": "v1" } },
            { "map": { "container": "c0", "iova": "0x10000", "size": "64K", "region": "ram" } },
            { "unmap": { "container": "c0", "iova": "0x11000", "size": "4K" }, "expect": { "errno": "none", "size": "0" } },
            { "unmap": { "container": "c0", "iova": "0x10000", "size": "4K" },
              "expect": { "errno": "none", "size": "64K", "mappings": { "c0": [] } } }
            """); // [0x10000, 0x20000); [0x11000, 0x12000) starts inside it; [0x10000, 0x11000) covers its first byte

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_MapPastTheMemlockLimit_IsEnomemAndChargesNothing()
    {
        var report = Run("""
            { "process": { "name": "qemu", "rlimit": "8K" } },
            { "container": { "name": "c0", "domains": ["x86-64"] } },
            { "map": { "container": "c0", "iova": "0x0", "size": "8K", "region": "ram" }, "expect": { "errno": "none", "locked-vm": { "qemu": "8K" }, "pinned": { "qemu": 2 } } },
            { "map": { "container": "c0", "iova": "0x2000", "size": "4K", "region": "ram", "offset": "0x2000" },
              "expect": { "errno": "ENOMEM", "locked-vm": { "qemu": "8K" }, "pinned": { "qemu": 2 } } }
            """); // [0x0, 0x2000) fits the 8 KiB limit; [0x2000, 0x3000) would make it 12 KiB

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_CapIpcLock_IgnoresTheLimitButStillCharges()
    {
        var report = Run("""
            { "process": { "name": "qemu", "rlimit": "4K", "cap-ipc-lock": true } },
            { "container": { "name": "c0", "domains": ["x86-64"] } },
            { "map": { "container": "c0", "iova": "0x0", "size": "16K", "region": "ram" }, "expect": { "errno": "none", "locked-vm": { "qemu": "16K" } } }
            """); // [0x0, 0x4000) is four times the limit

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_SameRamInTwoContainers_IsChargedTwicePerMappingAndOnceShared()
    {
        var report = Run("""
            { "container": { "name": "a", "process": "type1", "domains": ["x86-64"] } },
            { "container": { "name": "b", "process": "type1", "domains": ["x86-64"] } },
            { "container": { "name": "c", "process": "iommufd", "accounting": "shared", "domains": ["x86-64"] } },
            { "container": { "name": "d", "process": "iommufd", "accounting": "shared", "domains": ["x86-64"] } },
            { "map": { "container": "a", "iova": "0x0", "size": "1M", "region": "ram" } },
            { "map": { "container": "b", "iova": "0x0", "size": "1M", "region": "ram" } },
            { "map": { "container": "c", "iova": "0x0", "size": "1M", "region": "ram" } },
            { "map": { "container": "d", "iova": "0x100000", "size": "1M", "region": "ram" },
              "expect": { "locked-vm": { "iommufd": "1M", "type1": "2M" }, "pinned": { "iommufd": 256, "type1": 256 } } },
            { "unmap-all": { "container": "a" }, "expect": { "locked-vm": { "type1": "1M" }, "pinned": { "type1": 256 } } }
            """); // the same 1 MiB of ram, [0x0, 0x10_0000), behind every mapping

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_MdevOnlyContainer_PinsNothingAndTakesAnyIova()
    {
        var report = Run("""
            { "container": { "name": "mdev" } },
            { "map": { "container": "mdev", "iova": "0xffff_ffff_ffff_0000", "size": "64K", "region": "ram" },
              "expect": { "errno": "none", "locked-vm": { "qemu": "0" }, "pinned": { "qemu": 0 } } }
            """); // [0xffff_ffff_ffff_0000, 2^64): no domain, so no aperture and no pin

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_MapOutsideTheDomainAperture_IsEinval()
    {
        var report = Run("""
            { "container": { "name": "c0", "domains": ["x86-64"] } },
            { "map": { "container": "c0", "iova": "0x1_0000_0000_0000", "size": "4K", "region": "ram" }, "expect": { "errno": "EINVAL" } }
            """); // [2^48, 2^48 + 0x1000) is past x86-64's 48-bit input

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_WrongAccountingExpectations_AreReportedAsBroken()
    {
        var report = Run("""
            { "process": { "name": "qemu", "rlimit": "17G" } },
            { "container": { "name": "c0", "domains": ["x86-64"] } },
            { "map": { "container": "c0", "iova": "0x0", "size": "8K", "region": "ram" },
              "expect": { "locked-vm": { "qemu": "4K" }, "pinned": { "qemu": 1 },
                          "memlock-limit": { "qemu": { "rule": "libvirt", "guest-ram": "16G", "vfio-devices": 2, "viommu": true } } } }
            """); // [0x0, 0x2000) charges 8 KiB; libvirt's rule for two devices is 33 GiB, not 17

        Assert.Equal(
            [
                "process qemu: locked_vm 0x2000, expected 0x1000",
                "process qemu: 2 pinned page(s), expected 1",
                "process qemu: RLIMIT_MEMLOCK 0x440000000, libvirt for 0x400000000 RAM, 2 device(s), vIOMMU gives 0x840000000",
            ],
            report.Steps[2].BrokenExpectations.ToArray());
    }

    [Fact]
    public void Run_StaleExpectationAfterUnmapBeforeSync_ListsTheCachedPage()
    {
        var report = Run("""
            { "page-table": { "name": "t", "format": "x86-64" } },
            { "pt-map": { "table": "t", "iova": "0x1000", "paddr": "0x5000", "size": "4K" } },
            { "pt-access": { "table": "t", "iova": "0x1000" } },
            { "pt-unmap": { "table": "t", "iova": "0x1000", "size": "4K" },
              "expect": { "size": "4K", "stale": { "t": [ "iova=0x1000 -> 0x5000 rw (from a 4K leaf), table: nothing" ] },
                          "translations": [ { "table": "t", "iova": "0x1000", "to": null } ] } },
            { "pt-sync": { "table": "t" }, "expect": { "stale": { "t": [] } } }
            """); // [0x1000, 0x2000) -> pa [0x5000, 0x6000), cached, unmapped, then synced

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_MapRunningPastItsRegionsHostMemory_IsEfaultAndChargesNothing()
    {
        var report = Run("""
            { "container": { "name": "c0", "domains": ["x86-64"] } },
            { "map": { "container": "c0", "iova": "0x0", "size": "8K", "region": "ram", "offset": "0xff_ffff_f000" },
              "expect": { "errno": "EFAULT", "locked-vm": { "qemu": "0" }, "pinned": { "qemu": 0 } } }
            """); // host range [block + 1 TiB - 4 KiB, block + 1 TiB + 4 KiB) runs into the hole after the 1 TiB block

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_MisalignedRawCallsOnType1_AreEinval()
    {
        var report = Run("""
            { "container": { "name": "c0", "page-size": "64K" } },
            { "map": { "container": "c0", "iova": "0x1000", "size": "64K", "region": "ram" }, "expect": { "errno": "EINVAL" } },
            { "map": { "container": "c0", "iova": "0x10000", "size": "64K", "region": "ram" }, "expect": { "errno": "none" } },
            { "unmap": { "container": "c0", "iova": "0x10000", "size": "4K" }, "expect": { "errno": "EINVAL", "mappings": { "c0": ["[0x10000..0x20000) -> ram@0x0 rw"] } } }
            """); // with 64 KiB pages, [0x1000, 0x11000) and a 4 KiB unmap of [0x10000, 0x20000) are misaligned

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
    }

    [Fact]
    public void Run_CoalescingListenerMapPastTheMemlockLimit_IsReportedAsQemuAbortingNotAsAWrongPlan()
    {
        var report = Run("""
            { "process": { "name": "qemu", "rlimit": "4K" } },
            { "listener": { "name": "l", "kind": "coalescing" } },
            { "container": { "name": "c0", "domains": ["x86-64"] } },
            { "hotplug": { "container": "c0", "listener": "l" } },
            { "view": { "ranges": [ { "start": "0x0", "end": "0x2000", "region": "ram", "kind": "ram" } ] },
              "expect": { "mappings": { "c0": [] }, "locked-vm": { "qemu": "0" } } }
            """); // RAM [0x0, 0x2000) needs 8 KiB pinned; the process may lock 4 KiB

        Assert.True(report.Holds, string.Join("\n", report.Problems()));
        Assert.Contains("c0: QEMU would abort here: MAP [0x0..0x2000) -> ram@0x0 rw => ENOMEM", report.Steps[4].Result, StringComparison.Ordinal);
    }
}
