using Verify.MemoryMap;

namespace Verify.Harness.Implementations;

/// <summary>What one <c>map_pages</c> call answered.</summary>
/// <param name="Error">The errno, <see cref="Errno.None"/> on success.</param>
/// <param name="Mapped">Bytes mapped by the call (on an error, those mapped before it, which the core unmaps).</param>
public readonly record struct PagesMapped(Errno Error, ulong Mapped);
