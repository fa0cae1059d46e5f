using System.Collections.Immutable;
using System.Globalization;
using Verify.IommuModel.PageTables;
using Verify.Vfio;

namespace Verify.IommuModel.Type1;

/// <summary>
/// What one type1 call returned: an errno, a size, the host physical pages an external pin reached, or the
/// kernel BUG an UNMAP hits after more than 10 retries on one mapping (docs/semantics.md 5.4), which is no errno:
/// the calling thread dies holding the container's lock, so every later call on the container reports it too.
/// </summary>
/// <param name="Error">The errno; <see cref="Errno.None"/> on success and for a kernel BUG.</param>
/// <param name="Size">MAP, UNMAP: bytes as the ioctl reports them. Pin and unpin: bytes of the pages walked.</param>
/// <remarks><c>default</c> is success with size 0. Equality compares <see cref="Pfns"/> element by element.</remarks>
public readonly record struct Type1Result(Errno Error, UInt128 Size)
{
    private readonly ImmutableArray<ulong> _pfns;

    /// <summary>Whether the call hit the kernel BUG (or came after one).</summary>
    public bool KernelBug { get; init; }

    /// <summary>A successful pin's host physical address per page, in IOVA order; empty otherwise.</summary>
    public ImmutableArray<ulong> Pfns { get => _pfns.IsDefault ? [] : _pfns; init => _pfns = value; }

    /// <summary>Whether the call succeeded.</summary>
    public bool Succeeded => Error == Errno.None && !KernelBug;

    /// <summary>The kernel BUG outcome.</summary>
    public static Type1Result Bug { get; } = new(Errno.None, 0) { KernelBug = true };

    /// <summary>A success reporting <paramref name="size"/> bytes.</summary>
    /// <param name="size">Bytes.</param>
    /// <returns>The result.</returns>
    public static Type1Result Ok(UInt128 size) => new(Errno.None, size);

    /// <summary>A failure.</summary>
    /// <param name="error">The errno.</param>
    /// <returns>The result.</returns>
    public static Type1Result Fail(Errno error) => new(error, 0);

    /// <summary>The same result as the listener interface reports it.</summary>
    /// <returns>The errno and size.</returns>
    /// <exception cref="InvalidOperationException">The result is a kernel BUG, which has no errno.</exception>
    public DmaResult ToDmaResult() => KernelBug
        ? throw new InvalidOperationException("the container hit a kernel BUG (more than 10 unmap retries); no errno to report")
        : new DmaResult(Error, Size);

    /// <inheritdoc/>
    public bool Equals(Type1Result other) =>
        Error == other.Error && Size == other.Size && KernelBug == other.KernelBug && Pfns.SequenceEqual(other.Pfns);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Error, Size, KernelBug, Pfns.Length);

    /// <summary><c>ok 2M</c>, <c>ok 8K at 0x100000000,0x100001000</c>, <c>EINVAL</c> or <c>kernel BUG</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        KernelBug ? "kernel BUG"
        : Error != Errno.None ? Error.ToString()
        : Size == 0 ? "ok 0"
        : string.Create(CultureInfo.InvariantCulture, $"ok {PageTableText.Size(Size)}")
            + (Pfns.IsEmpty ? "" : " at " + string.Join(",", Pfns.Select(p => string.Create(CultureInfo.InvariantCulture, $"0x{p:x}"))));
}
