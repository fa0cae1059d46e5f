using Verify.IommuModel.GuestIommu;
using Verify.MemoryMap;
using Verify.Vfio;

namespace Verify.Harness.Hosts;

/// <summary>
/// The DMA window of one step on one container (docs/semantics.md 3): bytes a mapping held before the step, that some
/// UNMAP of the step removed, and that translate the same after the step. Replays the step's successful calls on a
/// plain list of mappings; slow and obvious.
/// </summary>
public static class StepWindow
{
    /// <summary>Measures the window.</summary>
    /// <param name="before">The container's mappings before the step.</param>
    /// <param name="calls">The step's calls, in order.</param>
    /// <param name="after">The container's mappings after the step.</param>
    /// <returns>Bytes unmapped in between whose translation is the same before and after.</returns>
    public static UInt128 CollateralBytes(IReadOnlyList<DmaMapping> before, IEnumerable<IoctlRecord> calls, IReadOnlyList<DmaMapping> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(after);
        var original = before.ToHashSet();
        var live = before.ToList();
        UInt128 bytes = 0;
        foreach (var call in calls.Where(c => c.Result.Succeeded))
        {
            var removed = call.Operation switch
            {
                DmaOperation.Map m => Add(live, m.Mapping),
                DmaOperation.Unmap u => live.Where(l => u.Iova.Contains(l.Iova)).ToList(),
                _ => [.. live],
            };
            foreach (var r in removed)
            {
                live.Remove(r);
                if (!original.Remove(r))
                {
                    continue;
                }

                foreach (var a in after.Where(a => a.Iova.Overlaps(r.Iova)))
                {
                    var both = a.Iova.Intersect(r.Iova);
                    bytes += a.Clip(both) == r.Clip(both) ? both.Size : 0;
                }
            }
        }

        return bytes;
    }

    private static List<DmaMapping> Add(List<DmaMapping> live, DmaMapping mapping)
    {
        live.Add(mapping);
        return [];
    }
}
