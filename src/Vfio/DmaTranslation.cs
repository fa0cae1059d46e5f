namespace Verify.Vfio;

/// <summary>What one IOVA page reaches: a place in a RAM block and whether the device may write it.</summary>
/// <param name="Region">The RAM or ram-device region.</param>
/// <param name="Offset">Offset in that region.</param>
/// <param name="Writable">Whether DMA writes are allowed.</param>
public readonly record struct DmaTranslation(string Region, ulong Offset, bool Writable)
{
    /// <summary>The region the address reaches; empty in <c>default</c>.</summary>
    public string Region { get => field ?? ""; init => field = value; } = Region;

    /// <inheritdoc/>
    public override string ToString() => $"{Region}@0x{Offset:x} {(Writable ? "rw" : "ro")}";
}
