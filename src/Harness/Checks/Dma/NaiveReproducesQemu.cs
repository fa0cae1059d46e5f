using Verify.MemoryMap;
using Verify.Oracle.Dma;
using Verify.Oracle.MemoryMap;
using Verify.Vfio;

namespace Verify.Harness.Checks.Dma;

/// <summary>DL-06 (docs/semantics.md 2.4): QEMU's vfio listener issues one UNMAP per deleted DMA section (an IOMMU section
/// included: its notifier goes and one big unmap covers the section), then one MAP per added one, in address order (a
/// 2^64 section is unmapped with unmap-all, or two halves without it): del A, del B, add A' gives UNMAP A, UNMAP B, MAP A'.</summary>
public sealed class NaiveReproducesQemu() : ScenarioCheck("DL-06")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastTransaction is not { } t)
        {
            return;
        }

        var dma = context.Machine.Dma;
        foreach (var c in dma.Containers.Values)
        {
            if (c.Listener?.Listener is not NaiveVfioListener || !dma.Step.Converged.Contains(c.Name) || c.TookRawCalls || c.DivergedBefore)
            {
                continue;
            }

            var options = c.Listener.Options;
            var expected = new List<DmaOperation>();
            var diff = TopologyOracle.Diff(t.Old.Ranges, t.New.Ranges);
            foreach (var deleted in diff.Deleted.OrderBy(r => r.Range.Start))
            {
                if (DmaVisibilityOracle.SectionUnmap(deleted, options) is { } iova)
                {
                    context.Label(iova.Size == AddressSpace.End && !c.Backend.Traits.SupportsUnmapAll, "whole-space unmap without unmap-all");
                    expected.AddRange(iova.Size != AddressSpace.End ? [new DmaOperation.Unmap(iova)]
                        : c.Backend.Traits.SupportsUnmapAll ? [new DmaOperation.UnmapAll()]
                        : [new DmaOperation.Unmap(new AddressRange(0, 1UL << 63)), new DmaOperation.Unmap(new AddressRange(1UL << 63, 1UL << 63))]);
                }
            }

            foreach (var added in diff.Added.OrderBy(r => r.Range.Start))
            {
                if (DmaVisibilityOracle.SectionMap(added, options) is { } m)
                {
                    expected.Add(new DmaOperation.Map(m));
                }
            }

            var before = dma.Step.Before.GetValueOrDefault(c.Name)?.Calls ?? 0;
            var actual = c.Backend.Calls.Skip(before).Select(x => x.Operation).ToList();
            context.Expect(actual.SequenceEqual(expected),
                () => $"{c.Name}: naive ioctls\n  {string.Join("\n  ", actual)}\nQEMU issues\n  {string.Join("\n  ", expected)}");
        }
    }
}
