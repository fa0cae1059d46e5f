namespace Verify.MemoryMap;

/// <summary>
/// Constants of the 64-bit address space (docs/semantics.md section 1). Ends and sizes are
/// <see cref="UInt128"/> because the end of <c>[x, 2^64)</c> does not fit in a <see cref="ulong"/>.
/// </summary>
public static class AddressSpace
{
    /// <summary>2^64: the end of the whole address space and the size of a whole-space region.</summary>
    public static readonly UInt128 End = (UInt128)ulong.MaxValue + 1;

    /// <summary>
    /// QEMU takes <c>UINT64_MAX</c> as a region size to mean 2^64, so a region of exactly
    /// 2^64-1 bytes cannot be made. This converts a size written the QEMU way.
    /// </summary>
    /// <param name="qemuSize">A size as QEMU's API takes it.</param>
    /// <returns><paramref name="qemuSize"/>, or 2^64 when it is <see cref="ulong.MaxValue"/>.</returns>
    public static UInt128 SizeFromQemu(ulong qemuSize) =>
        qemuSize == ulong.MaxValue ? End : qemuSize;

    /// <summary>Bit 63: vfio skips sections whose start has it set (64-bit BAR sizing artefacts).</summary>
    public const ulong Bit63 = 1UL << 63;
}
