using Verify.MemoryMap.Topology;

namespace Verify.Harness.Implementations;

/// <summary>
/// A user's vfio memory listener for one container, as QEMU registers one <c>MemoryListener</c> per
/// <c>VFIOContainer</c>: it is told each transaction's callbacks and answers with the ioctls it issues at commit. The
/// harness executes them against a type1 container model and checks them (DL-01, DL-02, DL-04, DL-05, DL-07).
/// Disposed when its container goes away (the kernel then drops every mapping; the listener issues nothing).
/// </summary>
public interface IContainerListener : IDisposable
{
    /// <summary>One transaction, from <c>begin</c> to <c>commit</c>.</summary>
    /// <param name="callbacks">The callbacks between them in QEMU's order: <c>region_del</c>s, then <c>region_nop</c>s
    /// with their <c>log_start</c>/<c>log_stop</c> and <c>region_add</c>s; for a container added late, a replay of the
    /// current view (a <c>region_add</c> per range, a <c>log_start</c> for each with a dirty mask).</param>
    /// <returns>The ioctls issued at commit.</returns>
    ContainerPlan Commit(IReadOnlyList<TopologyEvent> callbacks);
}
