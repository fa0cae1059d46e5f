using Verify.Harness.Running;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.Oracle.Dma;

namespace Verify.Harness.Scenarios;

/// <summary>
/// The type1 part of the runner: the scenario's processes, the kernel checks of SEMANTICS.md 5.1-5.2 that the
/// listener-level <see cref="Type1Ledger"/> leaves out (alignment, wrap, the valid IOVA range, the memlock limit, the
/// v1 unmap), and the accounting of SEMANTICS.md 5.3, checked after every step: a process's pinned memory is exactly
/// the non-reserved memory behind the live mappings of its containers that have a domain and behind every external pin
/// (SEMANTICS.md 5.4), and its <c>locked_vm</c> is their total
/// size (per-mapping) or the size of that memory counted once (shared).
/// </summary>
public sealed partial class ScenarioRunner
{
    private const ulong HostPage = 0x1000;
    private readonly ScenarioHost _host;

    // What the kernel answers a type1 call, from the ledger and the checks it leaves out, in the kernel's order:
    // flags, alignment, wrap; overlap and slots (the ledger); the valid IOVA range; the memlock limit and the host
    // memory behind the range. UNMAP checks alignment first and follows v1's rule under v1.
    private static DmaResult ExpectedType1Result(ScenarioContainer c, ref Type1Ledger ledger, DmaOperation operation, Type1Call call)
    {
        var options = c.Type1!.Options;
        ulong mask = options.MinPageSize - 1;
        switch (operation)
        {
            case DmaOperation.Map m:
            {
                if (m.Mapping.Iova.Size > ulong.MaxValue)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }

                ulong iova = m.Mapping.Iova.Start, size = (ulong)m.Mapping.Iova.Size, vaddr = call.Vaddr;
                if (((iova | vaddr | size) & mask) != 0)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }

                if ((UInt128)iova + size > AddressSpace.End || (UInt128)vaddr + size > AddressSpace.End)
                {
                    return DmaResult.Fail(options.WrapErrno);
                }

                var result = ledger.Apply(operation);
                if (!result.Succeeded)
                {
                    return result;
                }

                var late = !options.ValidIovaRanges.Any(r => r.Start <= iova && (UInt128)iova + size <= r.End) ? Errno.EINVAL
                    : c.Type1.Domains.Count > 0 ? PinRefusal(c.Process!, call, size, options.Accounting)
                    : Errno.None;
                if (late != Errno.None)
                {
                    ledger = new Type1Ledger(c.Traits, ledger.Mappings.Where(x => x.Iova.Start != iova));
                    return DmaResult.Fail(late);
                }

                return result;
            }

            case DmaOperation.Unmap u:
            {
                var range = u.Iova;
                if ((range.Start & mask) != 0 || range.Size == 0 || range.Size > ulong.MaxValue || ((ulong)range.Size & mask) != 0)
                {
                    return DmaResult.Fail(Errno.EINVAL);
                }

                return options.Version == Type1Version.V1 ? UnmapV1(c.Traits, ref ledger, range) : ledger.Apply(operation);
            }

            default:
                return ledger.Apply(operation);
        }
    }

    // v1: a request starting inside its first mapping removes nothing and returns 0; otherwise every mapping whose
    // first byte it covers goes whole, even one the request ends inside.
    private static DmaResult UnmapV1(DmaBackendTraits traits, ref Type1Ledger ledger, AddressRange range)
    {
        var touched = ledger.Mappings.Where(x => x.Iova.End > range.Start && x.Iova.Start < range.End).ToList();
        if (touched.Count == 0 || touched.Any(x => x.Iova.Start < range.Start))
        {
            return DmaResult.Ok(0);
        }

        UInt128 total = 0;
        foreach (var x in touched)
        {
            total += x.Iova.Size;
        }

        ledger = new Type1Ledger(traits, ledger.Mappings.Except(touched));
        return DmaResult.Ok(total);
    }

    // Step 7 of MAP: the pages behind the host range are pinned and charged; over the limit without CAP_IPC_LOCK is
    // ENOMEM, a hole in the host range is EFAULT (after the backed part was charged, so ENOMEM wins).
    private static Errno PinRefusal(HostMemory process, Type1Call call, ulong size, AccountingMode mode)
    {
        bool backed = process.Resolve(call.Vaddr, size, out var segments);
        ulong bytes = 0;
        foreach (var s in segments.Where(s => !s.Reserved))
        {
            bytes += s.Size;
        }

        ulong charge = mode == AccountingMode.PerMapping ? bytes : bytes - call.PinnedBefore;
        if (!process.CapIpcLock && (UInt128)call.LockedVmBefore + charge > process.RlimitMemlock)
        {
            return Errno.ENOMEM;
        }

        return backed ? Errno.None : Errno.EFAULT;
    }

    /// <summary>Whether a refusal is the host's (memory limit, no host memory) rather than a listener's mistake.</summary>
    private static bool IsHostRefusal(DmaResult result) => result.Error is Errno.ENOMEM or Errno.EFAULT;

    // T1 accounting after every step: per process, the pinned memory is the memory behind the live mappings of its
    // containers that have a domain, and locked_vm charges it per mapping or once (a process whose containers mix
    // the two modes is not checked: the modes share pin counts, which no single rule describes).
    private void CheckAccounting(Verdict verdict)
    {
        foreach (var (name, process) in _host.Processes)
        {
            var own = _containers.Values.Select(c => c.Backend).Where(b => b.Process == process).ToList();
            var pinning = own.Where(b => b.Type1!.Domains.Count > 0).ToList();
            var (external, externalCharge) = ExternalPinAccounting(process, own.Select(b => b.Type1!));
            var behind = new List<(UInt128 Start, UInt128 End)>();
            UInt128 perMapping = 0;
            foreach (var m in pinning.SelectMany(b => b.Type1!.Type1Mappings))
            {
                process.Resolve(m.Vaddr, m.Size, out var segments);
                foreach (var s in segments.Where(s => !s.Reserved))
                {
                    behind.Add((s.Hpa, (UInt128)s.Hpa + s.Size));
                    perMapping += s.Size;
                }
            }

            behind.AddRange(external);
            perMapping += externalCharge;
            var expectedPins = Union(behind);
            var actualPins = Union([.. process.PinnedRuns.Select(r => ((UInt128)r.Hpa, r.End))]);
            verdict.Expect(expectedPins.SequenceEqual(actualPins),
                () => $"process {name}: pinned {Show(actualPins)}, the live mappings are backed by {Show(expectedPins)}");
            var modes = own.Where(b => b.Type1!.Domains.Count > 0 || b.Type1.ExternalPins.Count > 0).Select(b => b.Type1!.Options.Accounting).Distinct().ToList();
            if (modes.Count == 1)
            {
                UInt128 expected = modes[0] == AccountingMode.PerMapping ? perMapping : Total(expectedPins);
                verdict.Expect(process.LockedVm == expected,
                    () => $"process {name}: locked_vm {ScenarioNumbers.Format(process.LockedVm)}, the live mappings charge {ScenarioNumbers.Format(expected)} ({ScenarioReader.AccountingName(modes[0])})");
            }
            else if (modes.Count == 0)
            {
                verdict.Expect(process.LockedVm == 0, () => $"process {name}: locked_vm {ScenarioNumbers.Format(process.LockedVm)} with nothing pinned");
            }
        }
    }

    private void CheckHostExpectations(StepExpectations e, Verdict verdict)
    {
        foreach (var (name, bytes) in e.LockedVm)
        {
            ulong? actual = _host.Processes.TryGetValue(name, out var p) ? p.LockedVm : GuestLockedVm(name);
            verdict.Expect(actual == bytes, () => actual is null ? $"locked-vm: no process named '{name}'"
                : $"process {name}: locked_vm {ScenarioNumbers.Format(actual.Value)}, expected {ScenarioNumbers.Format(bytes)}");
        }

        foreach (var (name, pages) in e.Pinned)
        {
            long? actual = _host.Processes.TryGetValue(name, out var p) ? (long)(Total(Union([.. p.PinnedRuns.Select(r => ((UInt128)r.Hpa, r.End))])) / HostPage) : null;
            verdict.Expect(actual == pages, () => actual is null ? $"pinned: no process named '{name}'" : $"process {name}: {actual} pinned page(s), expected {pages}");
        }

        foreach (var (name, rule) in e.MemlockLimit)
        {
            ulong? limit = null;
            try
            {
                limit = rule.Limit();
            }
            catch (ArgumentOutOfRangeException)
            {
                // A rule past 2^64 matches no process.
            }

            ulong? actual = _host.Processes.TryGetValue(name, out var p) ? p.RlimitMemlock : null;
            verdict.Expect(actual is not null && actual == limit, () => actual is null ? $"memlock-limit: no process named '{name}'"
                : $"process {name}: RLIMIT_MEMLOCK {ScenarioNumbers.Format(actual.Value)}, {rule} gives {(limit is { } l ? ScenarioNumbers.Format(l) : "more than 2^64")}");
        }
    }

    private static List<(UInt128 Start, UInt128 End)> Union(List<(UInt128 Start, UInt128 End)> ranges)
    {
        var merged = new List<(UInt128 Start, UInt128 End)>();
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && merged[^1].End >= r.Start)
            {
                merged[^1] = (merged[^1].Start, UInt128.Max(merged[^1].End, r.End));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    private static UInt128 Total(List<(UInt128 Start, UInt128 End)> ranges)
    {
        UInt128 total = 0;
        foreach (var (start, end) in ranges)
        {
            total += end - start;
        }

        return total;
    }

    private static string Show(List<(UInt128 Start, UInt128 End)> ranges) =>
        ranges.Count == 0 ? "nothing" : string.Join(", ", ranges.Select(r => $"hpa [0x{r.Start:x}..0x{r.End:x})"));
}
