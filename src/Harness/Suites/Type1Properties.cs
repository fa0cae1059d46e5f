using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Type1;
using Verify.Harness.Running;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;

namespace Verify.Harness.Suites;

/// <summary>
/// Group T1 of PROPERTIES.md: the VFIO type1 container against the page-by-page oracle (SEMANTICS.md 5).
/// Every case runs under v1 and v2 unless the property is about one mode.
/// </summary>
[PropertySuite("Type1")]
public static class Type1Properties
{
    private const string Suite = "Type1";

    /// <summary>T1-01 .. T1-05.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        ResultsAgreeWithOracle(Type1Bug.None),
        new("T1-02", "P_T1_02_FailedCallChangesNothing", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), FailedCallChangesNothing)),
        new("T1-03", "P_T1_03_LockedVmMatchesOracle", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), LockedVmMatchesOracle)),
        NeverUnpinnedWhileReachable(Type1Bug.None),
        new("T1-05", "P_T1_05_CloseReturnsEveryPinAndCharge", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), CloseReturnsEveryPinAndCharge)),
    ];

    /// <summary>T1-01 over a container carrying <paramref name="bug"/>: with <see cref="Type1Bug.None"/> the catalogued
    /// property, with a bug the demonstration that it is caught.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition ResultsAgreeWithOracle(Type1Bug bug) =>
        new("T1-01", "P_T1_01_ErrnoAndSizeAgreeWithOracle", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), c => ResultsAgreeWithOracle(c, bug)));

    /// <summary>T1-04 over a container carrying <paramref name="bug"/>, as <see cref="ResultsAgreeWithOracle(Type1Bug)"/>.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition NeverUnpinnedWhileReachable(Type1Bug bug) =>
        new("T1-04", "P_T1_04_NeverUnpinnedWhileReachable", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), c => NeverUnpinnedWhileReachable(c, bug)));

    private static IEnumerable<(Type1Version Version, Type1Rig Rig)> BothVersions(Type1Case c, Type1Bug bug = Type1Bug.None) =>
        new[] { Type1Version.V1, Type1Version.V2 }.Select(v => (v, new Type1Rig(c, c.Options with { Version = v, Bug = bug })));

    private static Property ResultsAgreeWithOracle(Type1Case c, Type1Bug bug)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (version, rig) in BothVersions(c, bug))
        {
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                var before = rig.Container.Type1Mappings.ToList();
                var got = rig.ApplyToModel(op);
                var want = Type1Rig.ApplyTo(rig.Oracle, op);
                if (got is null || want is null)
                {
                    continue;
                }

                verdict.Expect(got == want, () => $"{version} step {i + 1} ({op}): the model returned {Type1Script.Result(got)}, the oracle {Type1Script.Result(want)}");
                labels.Add(Classify(op, want.Value, before, rig.Host, version));
            }

            CheckTranslations(verdict, rig, c, version);
            labels.Add(c.Options.MinPageSize == 0x1_0000 ? "64K and 16K granule domains, 64K pages" : c.Domains.IsEmpty ? "no domain (mdev only): nothing pinned" : "");
            var live = rig.Container.Type1Mappings;
            var expected = rig.Oracle.Mappings;
            verdict.Expect(live.SequenceEqual(expected), () => $"{version} at the end: the model holds {string.Join(", ", live)}, the oracle {string.Join(", ", expected)}");
        }

        return Apply(verdict, labels);
    }

    private static Property FailedCallChangesNothing(Type1Case c)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (version, rig) in BothVersions(c))
        {
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                var before = Type1Snapshot.Of(rig.Container);
                var result = rig.ApplyToModel(op);
                if (result is not { Succeeded: false } failed)
                {
                    continue;
                }

                string diff = before.DifferenceFrom(Type1Snapshot.Of(rig.Container));
                verdict.Expect(diff.Length == 0, () => $"{version} step {i + 1} ({op}) failed with {failed.Error} yet changed: {diff}");
                labels.Add($"{(op is MapDmaOp ? "MAP" : "UNMAP")} {failed.Error} after {(before.Mappings.Count == 0 ? "nothing" : "mappings")}"
                    + (failed.Error is Errno.ENOMEM or Errno.EFAULT && before.Pins.Count > 0 ? " with pins held" : ""));
            }
        }

        return Apply(verdict, labels);
    }

    private static Property LockedVmMatchesOracle(Type1Case c)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        ulong page = c.Options.MinPageSize;
        var final = new Dictionary<AccountingMode, ulong>();
        foreach (var mode in new[] { AccountingMode.PerMapping, AccountingMode.Shared })
        {
            var rig = new Type1Rig(c, c.Options with { Accounting = mode });
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                rig.ApplyToModel(op);
                Type1Rig.ApplyTo(rig.Oracle, op);
                ulong want = rig.Oracle.LockedVm, got = rig.Host.LockedVm;
                verdict.Expect(got == want, () => $"{mode} after step {i + 1} ({op}): locked_vm is 0x{got:x}, the oracle counts 0x{want:x}");
                var pins = rig.ModelPinsByPage(page);
                var oraclePins = rig.Oracle.Pins;
                var wrong = pins.Where(p => oraclePins.GetValueOrDefault(p.Key) != p.Value).Select(p => p.Key)
                    .Concat(oraclePins.Keys.Where(k => !pins.ContainsKey(k))).Take(3).ToList();
                verdict.Expect(wrong.Count == 0, () => $"{mode} after step {i + 1} ({op}): pin counts differ at hpa {string.Join(", ", wrong.Select(w => $"0x{w:x} (model {pins.GetValueOrDefault(w)}, oracle {oraclePins.GetValueOrDefault(w)})"))}");
                if (pins.Values.Any(n => n > 1))
                {
                    labels.Add($"{mode}: a page pinned twice");
                }
            }

            final[mode] = rig.Host.LockedVm;
            labels.Add(rig.Host.LockedVm == 0 ? $"{mode}: nothing charged at the end" : $"{mode}: charged at the end");
            if (rig.Container.Type1Mappings.Any(m => m.Vaddr >= Type1Generators.VaBase + 0x60_0000 && m.Vaddr < Type1Generators.VaBase + 0x61_0000))
            {
                labels.Add("reserved pfns mapped (not charged)");
            }
        }

        labels.Add(final[AccountingMode.Shared] < final[AccountingMode.PerMapping] ? "shared charges less than per-mapping (memory mapped twice)" : "");
        return Apply(verdict, labels);
    }

    private static Property NeverUnpinnedWhileReachable(Type1Case c, Type1Bug bug)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (version, rig) in BothVersions(c, bug))
        {
            int seen = 0;
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                rig.ApplyToModel(op);
                var steps = rig.Container.Steps;
                for (int s = seen; s < steps.Count; s++)
                {
                    if (steps[s].Kind != Type1StepKind.Unpin)
                    {
                        continue;
                    }

                    for (int d = 0; d < rig.Container.Domains.Count; d++)
                    {
                        int unmap = LastBefore(steps, s, x => x.Kind == Type1StepKind.DomainUnmap && x.Domain == d && x.Iova == steps[s].Iova);
                        int sync = LastBefore(steps, s, x => x.Kind == Type1StepKind.IotlbSync && x.Domain == d);
                        int unpin = s;
                        verdict.Expect(unmap >= seen && sync > unmap, () =>
                            $"{version} step {i + 1} ({op}): {steps[unpin]} without domain{d}'s unmap then sync before it ({string.Join(", ", steps.Skip(seen))})");
                    }

                    labels.Add(rig.Container.Domains.Count > 1 ? "unpin after syncing two domains" : "unpin after syncing one domain");
                }

                seen = steps.Count;
                CheckReachablePinned(verdict, rig, $"{version} after step {i + 1} ({op})");
                if (op is DeviceAccessOp && rig.Container.Domains.Count > 0 && rig.Container.Domains[0].Iotlb.CachedLeaves.Any())
                {
                    labels.Add("IOTLB holds entries");
                }
            }
        }

        return Apply(verdict, labels);
    }

    private static Property CloseReturnsEveryPinAndCharge(Type1Case c)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (version, rig) in BothVersions(c))
        {
            foreach (var op in c.Ops)
            {
                rig.ApplyToModel(op);
            }

            int live = rig.Container.Type1Mappings.Count;
            ulong charged = rig.Host.LockedVm;
            rig.Container.Close();
            rig.Oracle.Close();
            verdict.Expect(rig.Host.LockedVm == 0, () => $"{version}: after close locked_vm is still 0x{rig.Host.LockedVm:x}");
            verdict.Expect(rig.Oracle.LockedVm == 0 && rig.Oracle.Pins.Count == 0, () => $"{version}: the oracle keeps a charge after close");
            verdict.Expect(rig.Host.PinnedRuns.Count == 0, () => $"{version}: after close pins remain: {string.Join(", ", rig.Host.PinnedRuns)}");
            verdict.Expect(rig.Container.Type1Mappings.Count == 0, () => $"{version}: after close mappings remain");
            for (int d = 0; d < rig.Container.Domains.Count; d++)
            {
                var domain = rig.Container.Domains[d];
                verdict.Expect(domain.Leaves().Count == 0, () => $"{version}: after close domain{d} still has {domain.Leaves().Count} leaves");
                verdict.Expect(!domain.Iotlb.CachedLeaves.Any(), () => $"{version}: after close domain{d}'s IOTLB still caches {string.Join(", ", domain.Iotlb.CachedLeaves)}");
            }

            labels.Add(live == 0 ? "closed empty" : live == 1 ? "closed with one mapping" : "closed with several mappings");
            labels.Add(charged > 0 ? "closed with a charge" : "");
        }

        return Apply(verdict, labels);
    }

    /// <summary>No domain leaf and no IOTLB entry (one granule page each) reaches a physical page that is neither
    /// pinned nor reserved.</summary>
    private static void CheckReachablePinned(Verdict verdict, Type1Rig rig, string where)
    {
        const ulong page = 0x1000;
        for (int d = 0; d < rig.Container.Domains.Count; d++)
        {
            var domain = rig.Container.Domains[d];
            var reach = domain.Leaves().Select(l => (l.Pa, l.Size, What: "leaf"))
                .Concat(domain.Iotlb.CachedLeaves.Select(l => (l.Pa, Size: domain.Options.Format.Granule, What: "IOTLB entry")));
            foreach (var (pa, size, what) in reach)
            {
                for (ulong off = 0; off < size; off += page)
                {
                    ulong hpa = pa + off;
                    int dd = d;
                    if (!verdict.Expect(rig.Host.PinCount(hpa) > 0 || rig.Host.IsReserved(hpa),
                        () => $"{where}: domain{dd}'s {what} reaches hpa 0x{hpa:x}, which is not pinned"))
                    {
                        break;
                    }
                }
            }
        }
    }

    private static int LastBefore(IReadOnlyList<Type1Step> steps, int before, Func<Type1Step, bool> match)
    {
        for (int k = before - 1; k >= 0; k--)
        {
            if (match(steps[k]))
            {
                return k;
            }
        }

        return -1;
    }

    private static Property Apply(Verdict verdict, SortedSet<string> labels)
    {
        foreach (string label in labels.Where(l => l.Length > 0))
        {
            verdict.Classify(true, label);
        }

        return verdict.ToProperty();
    }

    /// <summary>Every mapped page (and the page after each mapping) translates in every domain as the oracle says.</summary>
    private static void CheckTranslations(Verdict verdict, Type1Rig rig, Type1Case c, Type1Version version)
    {
        ulong page = c.Options.MinPageSize;
        foreach (var m in rig.Oracle.Mappings)
        {
            for (UInt128 off = 0; off <= m.Size; off += page)
            {
                if (m.Iova + off > ulong.MaxValue)
                {
                    break;
                }

                ulong iova = (ulong)(m.Iova + off);
                var want = rig.Oracle.Translate(iova);
                for (int d = 0; d < rig.Container.Domains.Count; d++)
                {
                    var got = rig.Container.Domains[d].Translate(iova);
                    verdict.Expect(got == want, () => $"{version} at the end: domain{d} translates 0x{iova:x} to {got?.ToString() ?? "nothing"}, the oracle to {want?.ToString() ?? "nothing"}");
                }
            }
        }
    }

    private static string Classify(Type1Op op, DmaResult want, IReadOnlyList<Type1Mapping> before, HostMemory host, Type1Version version)
    {
        switch (op)
        {
            case MapDmaOp m when want.Succeeded:
                return host.RlimitMemlock != ulong.MaxValue && host.LockedVm == host.RlimitMemlock && !host.CapIpcLock
                    ? "MAP reaches RLIMIT_MEMLOCK exactly"
                    : m.Vaddr >= Type1Generators.VaBase + 0x60_0000 && m.Vaddr < Type1Generators.VaBase + 0x61_0000 ? "MAP of reserved pfns"
                    : "";
            case MapDmaOp m:
                bool touches = before.Any(b => b.End == m.Iova || (UInt128)m.Iova + m.Size == b.Iova);
                return want.Error switch
                {
                    Errno.EEXIST when before.Any(b => b.Iova == (ulong)((UInt128)m.Iova + m.Size - 0x1000) || b.End - 0x1000 == m.Iova) => "MAP overlaps by one page -> EEXIST",
                    Errno.EEXIST => "MAP overlaps -> EEXIST",
                    Errno.EOVERFLOW => "MAP wraps -> EOVERFLOW",
                    Errno.EINVAL when (UInt128)m.Iova + m.Size > ulong.MaxValue + (UInt128)1 || (UInt128)m.Vaddr + m.Size > ulong.MaxValue + (UInt128)1 => "MAP wraps -> EINVAL",
                    Errno.ENOSPC => "MAP past the entry limit -> ENOSPC",
                    Errno.ENOMEM => "MAP over RLIMIT_MEMLOCK -> ENOMEM",
                    Errno.EFAULT => "MAP of a vaddr hole -> EFAULT",
                    Errno.EINVAL => touches ? "" : "MAP refused -> EINVAL",
                    _ => "",
                };
            case UnmapDmaOp u when u.Flags == Type1UnmapFlags.None && want.Succeeded:
                UInt128 end = (UInt128)u.Iova + u.Size;
                bool startsInside = before.Any(b => b.Iova < u.Iova && u.Iova < b.End);
                bool endsInside = before.Any(b => b.Iova < end && end < b.End);
                return want.Size == 0 && !startsInside ? "UNMAP of an empty range -> 0"
                    : version == Type1Version.V1 && startsInside ? "v1 UNMAP starting inside -> 0"
                    : version == Type1Version.V1 && endsInside ? "v1 UNMAP ending inside removes the whole mapping"
                    : u.Iova == ulong.MaxValue - 0xfff ? "UNMAP of the last page"
                    : "UNMAP of whole mappings";
            case UnmapDmaOp u when u.Flags == Type1UnmapFlags.None && version == Type1Version.V2:
                UInt128 e = (UInt128)u.Iova + u.Size;
                return before.Any(b => b.Iova < u.Iova && u.Iova < b.End) ? "v2 UNMAP bisects at the start -> EINVAL"
                    : before.Any(b => b.Iova < e && e < b.End) ? "v2 UNMAP bisects at the end -> EINVAL"
                    : "";
            case UnmapDmaOp u when u.Flags == Type1UnmapFlags.All && want.Succeeded:
                return "UNMAP ALL";
            default:
                return "";
        }
    }
}
