namespace Verify.Harness.Generators.EndToEnd;

/// <summary>The RLIMIT_MEMLOCK a case's QEMU process runs under (docs/semantics.md 5.3).</summary>
public enum MemlockLimitChoice
{
    /// <summary>No limit (or CAP_IPC_LOCK).</summary>
    Unlimited,

    /// <summary>libvirt today: number of VFIO devices x guest RAM + 1 GiB, as a vIOMMU is present.</summary>
    Libvirt,

    /// <summary>Older libvirt: 1 x guest RAM + 1 GiB whatever the devices; two devices on system memory hit ENOMEM.</summary>
    LibvirtLegacy,
}
