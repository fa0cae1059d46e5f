namespace Verify.Vfio;

/// <summary>What one MAP or UNMAP returned: an errno (<see cref="Errno.None"/> on success) and, for UNMAP,
/// the size the kernel reports (the sum of the full sizes of the removed mappings).</summary>
/// <param name="Error">The errno, or <see cref="Errno.None"/>.</param>
/// <param name="Size">Bytes reported (UNMAP) or mapped (MAP); 0 on error.</param>
public readonly record struct DmaResult(Errno Error, UInt128 Size)
{
    /// <summary>Whether the call succeeded.</summary>
    public bool Succeeded => Error == Errno.None;

    /// <summary>A success reporting <paramref name="size"/> bytes.</summary>
    /// <param name="size">Bytes.</param>
    /// <returns>The result.</returns>
    public static DmaResult Ok(UInt128 size) => new(Errno.None, size);

    /// <summary>A failure.</summary>
    /// <param name="error">The errno.</param>
    /// <returns>The result.</returns>
    public static DmaResult Fail(Errno error) => new(error, 0);

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"ok {AddressRange.FormatEnd(Size)}" : Error.ToString();
}
