using Verify.MemoryMap;

namespace Verify.Harness.Implementations;

/// <summary>What one <c>map_pages</c> call answered.</summary>
/// <param name="Error">The errno, <see cref="Errno.None"/> on success.</param>
/// <param name="Mapped">Bytes mapped by the call (on an error, those mapped before it, which the core unmaps).</param>
public readonly record struct PagesMapped(Errno Error, ulong Mapped)
{
    /// <summary>The range the driver invalidated itself because the call replaced live entries (the legacy drivers'
    /// flush after a map, docs/semantics.md 4.3), or null: the harness's IOTLB drops what it cached there.</summary>
    public AddressRange? Flushed { get; init; }
}
