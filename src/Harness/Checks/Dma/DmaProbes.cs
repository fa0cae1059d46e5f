using Verify.Harness.Hosts;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.Oracle.Dma;
using Verify.Oracle.Host;
using Verify.Oracle.Type1;
using Verify.Vfio;

namespace Verify.Harness.Checks.Dma;

/// <summary>What several DMA checks judge the same way: a container's translation against the view, and each ioctl's
/// result against the kernel's rules.</summary>
internal static class DmaProbes
{
    /// <summary>The container translates exactly the DMA-visible pages of the view (docs/semantics.md 2.4), checked at both
    /// ends of every cell the view's ranges (and their host-page-rounded interiors) and the container's mappings cut the
    /// space into: translation is linear inside each cell.</summary>
    public static void ExpectTranslates(CheckContext context, ContainerState c, FlatView view, DmaOptions options, string where)
    {
        var cuts = new SortedSet<UInt128> { 0, AddressSpace.End };
        UInt128 page = options.HostPageSize;
        foreach (var r in view.Ranges)
        {
            UInt128 start = r.Range.Start, end = r.Range.End;
            cuts.Add(start);
            cuts.Add(end);
            cuts.Add((start + page - 1) / page * page);
            cuts.Add(end / page * page);
        }

        var mappings = c.Backend.Mappings;
        foreach (var m in mappings)
        {
            cuts.Add(m.Iova.Start);
            cuts.Add(m.Iova.End);
        }

        foreach (var cut in cuts)
        {
            foreach (UInt128 at in new[] { cut, cut - 1 })
            {
                if ((cut == 0 && at != cut) || at >= AddressSpace.End)
                {
                    continue;
                }

                ulong a = (ulong)at;
                var expected = DmaVisibilityOracle.Translate(view, options, a);
                var actual = DmaVisibilityOracle.Lookup(mappings, a);
                context.Expect(expected == actual,
                    () => $"{where}{c.Name}: IOVA 0x{a:x} translates to {actual?.ToString() ?? "nothing"}, the view makes it {expected?.ToString() ?? "nothing"}");
            }
        }
    }

    /// <summary>Every call the step made to the container gives what the kernel's rules give from the mappings it held
    /// before (the list-scan ledger; for type1 the checks the ledger leaves out around it); a call a listener issued must
    /// also succeed, unless the host refused it (memlock, no host memory) or the listener is QEMU's naive one.</summary>
    public static void ExpectLegal(CheckContext context, DmaHost dma, ContainerState c, string where)
    {
        var before = dma.Step.Before.GetValueOrDefault(c.Name) ?? ContainerBefore.Empty;
        var ledger = new Type1Ledger(c.Backend.Traits, before.Mappings);
        var type1 = c.Backend.Type1;
        var memory = type1 is null ? null : Declared(c);
        for (int i = before.Calls; i < c.Backend.Calls.Count; i++)
        {
            var call = c.Backend.Calls[i];
            var expected = type1 is null
                ? ledger.Apply(call.Operation)
                : Type1CallRules.Expected(type1.Options, type1.Domains.Count > 0, c.Backend.Traits, ref ledger, call.Operation, c.Backend.Type1Calls[i], memory!);
            context.Expect(expected == call.Result, () => $"{where}{c.Name}: {call.Operation} returned {call.Result}; the type1 rules give {expected}");
            context.Expect(dma.Step.Raw.HasValue || call.Result.Succeeded || c.Listener?.Listener is NaiveVfioListener || DmaHost.IsHostRefusal(call.Result),
                () => $"{where}{c.Name}: the listener issued an illegal ioctl: {call}");
        }
    }

    /// <summary>The process's memory as data, for the oracle to resolve itself.</summary>
    public static DeclaredMemory Declared(ContainerState c)
    {
        var process = c.Backend.Process!;
        return new DeclaredMemory(process.VirtualRuns, process.ReservedRanges, process.RlimitMemlock, process.CapIpcLock);
    }

    /// <summary>Whether the container is expected to follow the view after the step: attached, touched by the step's
    /// transaction (or hotplug, unplug), not driven behind its listener's back, not past a refused ioctl.</summary>
    public static bool Follows(DmaHost dma, ContainerState c) =>
        dma.Step.Converged.Contains(c.Name) && c.Listener is not null && !c.TookRawCalls && !c.Diverged;

    /// <summary>The coalescing plan the container got at this step, if its listener plans.</summary>
    public static DmaPlan? PlanOf(ContainerState c) =>
        c.Listener?.Listener is Implementations.IPlanningListener planning && planning.LastPlans.TryGetValue(c.Port, out var plan) ? plan : null;
}
