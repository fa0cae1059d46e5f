using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Vfio;

namespace Verify.Harness.Implementations;

/// <summary>
/// A DMA listener that plans each container's ioctls from the container's history, as the scenario runner drives it:
/// a memory listener on the address space that owns a set of containers, replays the current map into one added
/// late, and reports the plan each container got at the last commit. The library's <see cref="CoalescingListener"/>
/// is one (<see cref="ImplementationUnderTest.Model"/>); a deliberately broken re-implementation is another.
/// </summary>
public interface IPlanningListener : IMemoryListener
{
    /// <summary>Set before a commit: the unsimplified render of the new view (where region boundaries are).</summary>
    FlatView? UnsimplifiedHint { set; }

    /// <summary>Per container, the plan of the last commit (refused plans included) or of its replay when added since.</summary>
    IReadOnlyDictionary<IDmaBackend, DmaPlan> LastPlans { get; }

    /// <summary>Every ioctl a container refused.</summary>
    IReadOnlyList<ListenerFailure> Failures { get; }

    /// <summary>Adds a container and replays the current DMA map into it.</summary>
    /// <param name="container">A new, empty container.</param>
    /// <returns>The replay plan.</returns>
    DmaPlan AddContainer(IDmaBackend container);

    /// <summary>Removes a container; QEMU closes it, so its mappings go.</summary>
    /// <param name="container">A container of this listener.</param>
    /// <returns>The plan that emptied it.</returns>
    DmaPlan RemoveContainer(IDmaBackend container);
}
