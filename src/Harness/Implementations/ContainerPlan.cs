using System.Collections.Immutable;
using Verify.Vfio;

namespace Verify.Harness.Implementations;

/// <summary>What a listener issues at one commit: its ioctls in order, or the ioctls it would issue and the refusal to
/// issue them because they would pass the container's entry limit (DL-07 judges whether that refusal is right).</summary>
/// <param name="Calls">MAP, UNMAP and unmap-all calls, in the order the listener makes them.</param>
/// <param name="Refused">True when the listener refuses the whole plan for the entry limit; nothing is executed.</param>
public readonly record struct ContainerPlan(ImmutableArray<DmaOperation> Calls, bool Refused = false)
{
    /// <summary>No ioctl.</summary>
    public static ContainerPlan None { get; } = new([]);
}
