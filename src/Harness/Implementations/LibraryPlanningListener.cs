using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Harness.Implementations;

/// <summary>The library's <see cref="CoalescingListener"/> as an <see cref="IPlanningListener"/>.</summary>
/// <param name="options">The vfio section rules.</param>
/// <param name="plan">Granularity and granule.</param>
internal sealed class LibraryPlanningListener(DmaOptions options, PlanOptions plan) : IPlanningListener
{
    private readonly CoalescingListener _listener = new(options, plan);

    public int Priority => ((Verify.MemoryMap.Topology.IMemoryListener)_listener).Priority;

    public FlatView? UnsimplifiedHint
    {
        set => _listener.UnsimplifiedHint = value;
    }

    public IReadOnlyDictionary<IDmaBackend, DmaPlan> LastPlans => _listener.LastPlans;

    public IReadOnlyList<ListenerFailure> Failures => _listener.Failures;

    public DmaPlan AddContainer(IDmaBackend container) => _listener.AddContainer(container);

    public DmaPlan RemoveContainer(IDmaBackend container) => _listener.RemoveContainer(container);

    public void Begin() => _listener.Begin();

    public void RegionDel(in FlatRange range) => _listener.RegionDel(range);

    public void RegionNop(in FlatRange range) => _listener.RegionNop(range);

    public void RegionAdd(in FlatRange range) => _listener.RegionAdd(range);

    public void LogStart(in FlatRange range, byte oldMask, byte newMask) => _listener.LogStart(range, oldMask, newMask);

    public void LogStop(in FlatRange range, byte oldMask, byte newMask) => _listener.LogStop(range, oldMask, newMask);

    public void Commit() => _listener.Commit();
}
