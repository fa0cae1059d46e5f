using System.Globalization;
using System.Text;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.Vfio;
using Xunit.Abstractions;

namespace Verify.Regressions;

/// <summary>
/// The seed accounting story (docs/semantics.md 5.3): a 16 GiB guest whose vIOMMU is in passthrough, with 1, 2 and
/// 4 assigned devices, each in its own type1 container mapping all of guest RAM. Per-mapping accounting charges
/// N x 16 GiB to the one QEMU process; shared accounting charges 16 GiB. libvirt's old memlock rule (RAM + 1 GiB)
/// makes the second device's first MAP fail with ENOMEM; the current rule (N x RAM + 1 GiB) fits.
/// </summary>
public class AccountingStoryTests(ITestOutputHelper output)
{
    private const ulong GiB = 1UL << 30;
    private const ulong GuestRam = 16 * GiB;
    private const ulong HvaBase = 0x7f00_0000_0000;

    // Guest RAM as QEMU maps it on a pc: 2 GiB below the PCI hole, the other 14 GiB from 4 GiB up.
    private static readonly DmaMapping LowMem = new(new AddressRange(0, 2 * GiB), "pc.ram", 0, Writable: true); // [0, 0x8000_0000)
    private static readonly DmaMapping HighMem = new(new AddressRange(4 * GiB, 14 * GiB), "pc.ram", 2 * GiB, Writable: true); // [0x1_0000_0000, 0x4_8000_0000)

    [Fact]
    public void Type1Accounting_PassthroughGuestWithOneTwoFourDevices_ChargesNTimesRamPerMappingAndOnceShared()
    {
        var table = new StringBuilder();
        table.AppendLine("| devices | per-mapping locked_vm | shared locked_vm | limit, current rule | current rule | limit, old rule (factor 1) | old rule, per-mapping |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (int devices in new[] { 1, 2, 4 })
        {
            ulong current = MemlockLimit.Libvirt(GuestRam, devices, hasViommu: true);
            ulong legacy = MemlockLimit.LibvirtLegacy(GuestRam);
            var perMapping = Boot(devices, AccountingMode.PerMapping, current);
            var shared = Boot(devices, AccountingMode.Shared, current);
            var old = Boot(devices, AccountingMode.PerMapping, legacy);

            Assert.Null(perMapping.Failure);
            Assert.Null(shared.Failure);
            Assert.Equal((ulong)devices * GuestRam, perMapping.LockedVm);
            Assert.Equal(GuestRam, shared.LockedVm);
            Assert.Equal(((ulong)devices * GuestRam) + GiB, current);
            if (devices == 1)
            {
                Assert.Null(old.Failure);
            }
            else
            {
                Assert.Equal("container1 MAP [0x0..0x80000000) -> ENOMEM", old.Failure);
                Assert.Equal(GuestRam, old.LockedVm); // the failed MAP charged nothing
            }

            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {devices} | {Gib(perMapping.LockedVm)} | {Gib(shared.LockedVm)} | {Gib(current)} | all MAPs ok | {Gib(legacy)} | {old.Failure ?? "all MAPs ok"} |");
        }

        output.WriteLine(table.ToString());
    }

    [Fact]
    public void Type1Accounting_ClosingEveryContainer_ReturnsTheWholeCharge()
    {
        var run = Boot(4, AccountingMode.PerMapping, MemlockLimit.Libvirt(GuestRam, 4, hasViommu: true));

        foreach (var container in run.Containers)
        {
            container.Close();
        }

        Assert.Equal(0UL, run.Host.LockedVm);
        Assert.Empty(run.Host.PinnedRuns);
    }

    /// <summary>Plugs <paramref name="devices"/> devices one after another, each mapping guest RAM through its own
    /// container as the vfio listener does; stops at the first failing MAP.</summary>
    private static (ulong LockedVm, string? Failure, HostMemory Host, List<Type1Container> Containers) Boot(int devices, AccountingMode mode, ulong rlimit)
    {
        var host = new HostMemory { RlimitMemlock = rlimit };
        host.AddVirtualRange(HvaBase, GuestRam, 0x1_0000_0000); // hva [0x7f00_0000_0000, +16 GiB) -> hpa [4 GiB, 20 GiB)
        var blocks = RamBlocks.Empty.With("pc.ram", HvaBase, GuestRam);
        var containers = new List<Type1Container>();
        for (int d = 0; d < devices; d++)
        {
            var container = new Type1Container($"container{d}", Type1Options.Default with { Accounting = mode }, host, blocks, [PageTableOptions.Default]);
            containers.Add(container);
            foreach (var mapping in new[] { LowMem, HighMem })
            {
                var result = container.Map(mapping);
                if (!result.Succeeded)
                {
                    return (host.LockedVm, $"{container.Name} MAP {mapping.Iova} -> {result.Error}", host, containers);
                }
            }
        }

        return (host.LockedVm, null, host, containers);
    }

    private static string Gib(ulong bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / GiB} GiB");
}
