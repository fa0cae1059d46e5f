using System.Collections.Immutable;
using Verify.MemoryMap.Text;

namespace Verify.Qemu;

/// <summary>
/// Facts about QEMU's machine models that its <c>info mtree</c> tree listing does not print but a region tree
/// read from it needs (see <see cref="MtreeTreeHints"/>), each taken from QEMU's source, never from a recorded
/// flat view: the render of the recorded trees is checked against QEMU's flat views, so the facts must not
/// come from them.
/// </summary>
/// <remarks>A new recording that renders differently from QEMU's flat view with an <c>i/o</c> region or an
/// alias the facts do not cover needs its fact added here, with the line of QEMU's source that says so.</remarks>
public static class QemuRegionFacts
{
    /// <summary>
    /// Aliases QEMU makes read-only. <c>pam-rom</c>: <c>init_pam</c> in <c>hw/pci-host/pam.c</c> (i440FX and Q35)
    /// calls <c>memory_region_set_readonly</c> on the alias of RAM it maps for PAM mode 1; the tree listing prints
    /// it as <c>ram</c>, the type of its target.
    /// </summary>
    public static ImmutableArray<string> ReadOnlyAliases { get; } = ["pam-rom"];

    /// <summary>
    /// MMIO regions with subregions: <c>io</c> (<c>memory_map_init</c> in <c>softmmu/physmem.c</c>:
    /// <c>memory_region_init_io(system_io, ..., &amp;unassigned_io_ops, ..., "io", 65536)</c>, under every port
    /// region), <c>rtc</c> (<c>hw/rtc/mc146818rtc.c</c>: <c>memory_region_init_io(&amp;s-&gt;io, ..., "rtc", 2)</c>
    /// with the coalesced <c>rtc-index</c> inside), <c>vga.mmio</c> (<c>hw/display/vga-pci.c</c>:
    /// <c>memory_region_init_io(&amp;d-&gt;mmio, ..., &amp;unassigned_io_ops, NULL, "vga.mmio", PCI_VGA_MMIO_SIZE)</c>
    /// under the ioports, bochs dispi and extended registers), and the gpex windows of aarch64 and riscv virt
    /// (<c>hw/pci-host/gpex.c</c>: <c>memory_region_init_io(&amp;s-&gt;io_mmio_window, ..., "gpex_mmio_window",
    /// UINT64_MAX)</c> and <c>"gpex_ioport_window"</c>, each over its container).
    /// </summary>
    public static ImmutableArray<string> TerminalIo { get; } = ["io", "rtc", "vga.mmio", "gpex_mmio_window", "gpex_ioport_window"];

    /// <summary>
    /// Containers (<c>memory_region_init</c>) that print without subregions because theirs are disabled or not
    /// plugged yet: <c>bus master container</c> (<c>hw/pci/pci.c</c>, per PCI device), <c>device-memory</c>
    /// (<c>hw/i386/pc.c</c>, the hotplug window for DIMMs), <c>smram</c> (<c>hw/pci-host/q35.c</c> and
    /// <c>i440fx.c</c>, SMRAM windows enabled only when the guest opens them), <c>platform bus</c>
    /// (<c>hw/core/platform-bus.c</c>: <c>memory_region_init(&amp;pbus-&gt;mmio, ..., "platform bus", ...)</c>, empty until
    /// a sysbus device is plugged), gpex's <c>gpex_mmio</c> and <c>gpex_ioport</c> (<c>hw/pci-host/gpex.c</c>:
    /// <c>memory_region_init</c>, empty until a BAR is placed), and pseries' PHB spaces and TCE roots
    /// (<c>hw/ppc/spapr_pci.c</c>: <c>memory_region_init(&amp;sphb-&gt;memspace, ..., "pci@BUID.mmio", UINT64_MAX)</c> and
    /// <c>"pci@BUID.io"</c>; <c>hw/ppc/spapr_iommu.c</c>: <c>memory_region_init(&amp;tcet-&gt;root, ..., "tce-root-LIOBN",
    /// UINT64_MAX)</c>, empty while its DMA window is not enabled).
    /// </summary>
    public static ImmutableArray<string> ContainerIo { get; } =
        ["bus master container", "device-memory", "smram", "platform bus", "gpex_mmio", "gpex_ioport", "pci@*.mmio", "pci@*.io", "tce-root-*"];

    /// <summary>All of the above as reader hints.</summary>
    public static MtreeTreeHints Hints { get; } = new()
    {
        ReadOnlyAliases = ReadOnlyAliases.ToImmutableHashSet(StringComparer.Ordinal),
        TerminalIo = TerminalIo.ToImmutableHashSet(StringComparer.Ordinal),
        ContainerIo = ContainerIo.ToImmutableHashSet(StringComparer.Ordinal),
    };
}
