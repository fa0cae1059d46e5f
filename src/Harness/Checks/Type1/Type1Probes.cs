using Verify.Harness.Hosts;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.Oracle.Type1;

namespace Verify.Harness.Checks.Type1;

/// <summary>Comparisons several type1 checks share.</summary>
internal static class Type1Probes
{
    /// <summary>The type1 containers of the scenario.</summary>
    public static IEnumerable<(ContainerState State, Type1Container Type1)> Containers(DmaHost dma) =>
        dma.Containers.Values.Where(c => c.Backend.Type1 is { IsClosed: false }).Select(c => (c, c.Backend.Type1!));

    /// <summary><c>locked_vm</c> and the pin count of every page agree with the oracle following the container.</summary>
    public static Dictionary<ulong, int> ExpectSameChargeAndPins(CheckContext context, ContainerState c, Type1Oracle oracle)
    {
        var process = c.Backend.Process!;
        ulong want = oracle.LockedVm, got = process.LockedVm;
        context.Expect(got == want, () => $"{c.Name}: locked_vm is 0x{got:x}, the oracle counts 0x{want:x}");
        var pins = PinsByPage(process, c.Backend.Type1!.Options.MinPageSize);
        var oraclePins = oracle.Pins;
        var wrong = pins.Where(p => oraclePins.GetValueOrDefault(p.Key) != p.Value).Select(p => p.Key)
            .Concat(oraclePins.Keys.Where(k => !pins.ContainsKey(k))).Take(3).ToList();
        context.Expect(wrong.Count == 0, () => $"{c.Name}: pin counts differ at hpa {string.Join(", ", wrong.Select(w => $"0x{w:x} (model {pins.GetValueOrDefault(w)}, oracle {oraclePins.GetValueOrDefault(w)})"))}");
        return pins;
    }

    /// <summary>Pin counts per page from the model's runs (bounded scenarios only).</summary>
    public static Dictionary<ulong, int> PinsByPage(HostMemory process, ulong pageSize)
    {
        var pins = new Dictionary<ulong, int>();
        foreach (var run in process.PinnedRuns)
        {
            for (ulong k = 0; k < run.Size / pageSize; k++)
            {
                pins[run.Hpa + (k * pageSize)] = run.Count;
            }
        }

        return pins;
    }

    /// <summary>No domain leaf, IOTLB entry (one granule page each) or external pin reaches a physical page that is
    /// neither pinned nor reserved, or that a migration moved away from (T1-04, T1-07).</summary>
    public static void ExpectReachablePinned(CheckContext context, ContainerState c, Type1Container type1)
    {
        var host = c.Backend.Process!;
        foreach (var pin in type1.ExternalPins)
        {
            context.Expect((host.PinCount(pin.Hpa) > 0 || host.IsReserved(pin.Hpa)) && !host.IsRetired(pin.Hpa),
                () => $"{c.Name}: the external pin {pin} holds hpa 0x{pin.Hpa:x}, which is {(host.IsRetired(pin.Hpa) ? "migrated away" : "not pinned")}");
        }

        // Judged range by range against the pinned runs, the reserved ranges and the retired ones: a domain maps
        // gigabytes in 1 GiB leaves, which a page-by-page walk cannot afford.
        var pinned = host.PinnedRuns.Select(r => ((UInt128)r.Hpa, r.End)).Concat(host.ReservedRanges.Select(r => ((UInt128)r.Hpa, r.End))).ToList();
        var covered = Oracle.Type1.Type1Accounting.Union(pinned);
        for (int d = 0; d < type1.Domains.Count; d++)
        {
            var domain = type1.Domains[d];
            var reach = domain.Leaves().Select(l => (l.Pa, l.Size, What: "leaf"))
                .Concat(domain.Iotlb.CachedLeaves.Select(l => (l.Pa, Size: domain.Options.Format.Granule, What: "IOTLB entry")));
            foreach (var (pa, size, what) in reach)
            {
                UInt128 start = pa, end = (UInt128)pa + size;
                var hole = FirstUncovered(covered, start, end);
                var retired = host.RetiredRanges.FirstOrDefault(r => r.Hpa < end && start < r.End);
                int dd = d;
                context.Expect(hole is null && retired.Size == 0,
                    () => $"{c.Name}: domain{dd}'s {what} reaches hpa 0x{(hole ?? retired.Hpa):x}, which is {(hole is null ? "migrated away" : "not pinned")}");
            }
        }
    }

    // The first address of [start, end) no range of the (merged, ascending) union covers, or null.
    private static UInt128? FirstUncovered(List<(UInt128 Start, UInt128 End)> union, UInt128 start, UInt128 end)
    {
        UInt128 at = start;
        foreach (var (s, e) in union)
        {
            if (e <= at)
            {
                continue;
            }

            if (s > at)
            {
                return at;
            }

            at = e;
            if (at >= end)
            {
                return null;
            }
        }

        return at < end ? at : null;
    }
}
