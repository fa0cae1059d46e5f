namespace Verify.IommuModel.Host;

/// <summary>How pinned memory is charged to <c>locked_vm</c> (docs/semantics.md 5.3).</summary>
public enum AccountingMode
{
    /// <summary>type1: every mapping charges all its non-reserved pages, so memory mapped twice is charged twice.</summary>
    PerMapping,

    /// <summary>A physical page is charged once per process, when its pin count leaves 0 (iommufd's shared pages).</summary>
    Shared,
}

/// <summary>A host virtual range backed linearly by host physical memory.</summary>
/// <param name="Hva">First virtual address.</param>
/// <param name="Size">Bytes; never 0.</param>
/// <param name="Hpa">Physical address of <paramref name="Hva"/>.</param>
public readonly record struct VirtualRun(ulong Hva, ulong Size, ulong Hpa)
{
    /// <summary>One past the last virtual address (may be 2^64).</summary>
    public UInt128 End => (UInt128)Hva + Size;

    /// <inheritdoc/>
    public override string ToString() => $"hva [0x{Hva:x}..0x{End:x}) -> hpa 0x{Hpa:x}";
}

/// <summary>A physical range.</summary>
/// <param name="Hpa">First physical address.</param>
/// <param name="Size">Bytes; 0 only for <c>default</c> (no range).</param>
public readonly record struct PhysicalRange(ulong Hpa, ulong Size)
{
    /// <summary>One past the last address (may be 2^64).</summary>
    public UInt128 End => (UInt128)Hpa + Size;

    /// <summary>Whether <paramref name="hpa"/> lies inside.</summary>
    /// <param name="hpa">A physical address.</param>
    /// <returns>Whether it is inside.</returns>
    public bool Contains(ulong hpa) => hpa >= Hpa && hpa - Hpa < Size;

    /// <inheritdoc/>
    public override string ToString() => $"hpa [0x{Hpa:x}..0x{End:x})";
}

/// <summary>A physical run whose bytes all have the same non-zero pin count.</summary>
/// <param name="Hpa">First physical address.</param>
/// <param name="Size">Bytes; never 0.</param>
/// <param name="Count">Pins on every byte; at least 1.</param>
public readonly record struct PinRun(ulong Hpa, ulong Size, int Count)
{
    /// <summary>One past the last address (may be 2^64).</summary>
    public UInt128 End => (UInt128)Hpa + Size;

    /// <inheritdoc/>
    public override string ToString() => $"hpa [0x{Hpa:x}..0x{End:x}) x{Count}";
}

/// <summary>A piece of a pinned virtual range: linear in both address spaces and either all reserved or none.</summary>
/// <param name="Hva">First virtual address.</param>
/// <param name="Hpa">Physical address of <paramref name="Hva"/>.</param>
/// <param name="Size">Bytes; never 0.</param>
/// <param name="Reserved">Whether the memory is reserved (not refcounted, not charged).</param>
public readonly record struct HostSegment(ulong Hva, ulong Hpa, ulong Size, bool Reserved)
{
    /// <inheritdoc/>
    public override string ToString() => $"hva 0x{Hva:x} -> hpa 0x{Hpa:x} +0x{Size:x}{(Reserved ? " reserved" : "")}";
}

/// <summary>The locked-memory limits management stacks set for a guest with assigned devices.</summary>
public static class MemlockLimit
{
    /// <summary>One gibibyte, the slack libvirt adds for the guest's own locked memory.</summary>
    public const ulong Slack = 1UL << 30;

    /// <summary>libvirt's current rule: <c>factor x guest RAM + 1 GiB</c> with factor the number of VFIO devices
    /// when a vIOMMU is present (each device gets its own container charging all of RAM), else 1.</summary>
    /// <param name="guestRam">Guest RAM in bytes.</param>
    /// <param name="vfioDevices">Assigned VFIO devices.</param>
    /// <param name="hasViommu">Whether the guest has a vIOMMU.</param>
    /// <returns>The RLIMIT_MEMLOCK in bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative device count, or a limit past 2^64.</exception>
    public static ulong Libvirt(ulong guestRam, int vfioDevices, bool hasViommu)
    {
        Preconditions.CheckArgumentRange(vfioDevices >= 0, vfioDevices, "should be at least 0", nameof(vfioDevices));
        ulong factor = hasViommu ? (ulong)Math.Max(1, vfioDevices) : 1;
        UInt128 limit = ((UInt128)factor * guestRam) + Slack;
        Preconditions.CheckArgumentRange(limit <= ulong.MaxValue, guestRam, $"x {factor} + 1 GiB should stay below 2^64", nameof(guestRam));
        return (ulong)limit;
    }

    /// <summary>Older libvirt's rule: <c>guest RAM + 1 GiB</c> whatever the devices (such guests failed with ENOMEM).</summary>
    /// <param name="guestRam">Guest RAM in bytes.</param>
    /// <returns>The RLIMIT_MEMLOCK in bytes.</returns>
    public static ulong LibvirtLegacy(ulong guestRam) => Libvirt(guestRam, 1, hasViommu: false);
}
