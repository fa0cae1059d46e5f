namespace Verify.Harness.Layouts;

/// <summary>A PCI BAR of a layout: the region, the container it is mapped into and where it starts.</summary>
/// <param name="Region">The BAR's region name (Io for emulated MMIO, RamDevice for an mmap'ed vfio BAR).</param>
/// <param name="Container">The PCI address space container it is placed in when enabled.</param>
/// <param name="Address">The address it is programmed to at start.</param>
/// <param name="Priority">Its priority in the container (QEMU maps BARs with priority 1).</param>
public sealed record BarSpec(string Region, string Container, ulong Address, int Priority = 1);
