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
/// Every case runs under v1 and v2 unless the property is about one mode. T1-07 (no pinned page migrates) is new
/// in this group: SEMANTICS.md 5.3's reason for pinning.
/// </summary>
[PropertySuite("Type1")]
public static class Type1Properties
{
    private const string Suite = "Type1";

    /// <summary>T1-01 .. T1-07.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        ResultsAgreeWithOracle(Type1Bug.None),
        new("T1-02", "P_T1_02_FailedCallChangesNothing", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), FailedCallChangesNothing)),
        LockedVmMatchesOracle(Type1Bug.None),
        NeverUnpinnedWhileReachable(Type1Bug.None),
        new("T1-05", "P_T1_05_CloseReturnsEveryPinAndCharge", Suite,
            () => Prop.ForAll(Type1Generators.Cases(), CloseReturnsEveryPinAndCharge)),
        MdevPinsReferenceAndUnmapRetries(Type1Bug.None),
        NoPinnedPageMigrates(Type1Bug.None),
    ];

    /// <summary>The definition of catalogue id <paramref name="id"/> over a container carrying <paramref name="bug"/>,
    /// for the properties that take one (T1-01, T1-03, T1-04, T1-06, T1-07).</summary>
    /// <param name="id">The id.</param>
    /// <param name="bug">The deliberate bug.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Another id.</exception>
    public static PropertyDefinition WithBug(string id, Type1Bug bug) => id switch
    {
        "T1-01" => ResultsAgreeWithOracle(bug),
        "T1-03" => LockedVmMatchesOracle(bug),
        "T1-04" => NeverUnpinnedWhileReachable(bug),
        "T1-06" => MdevPinsReferenceAndUnmapRetries(bug),
        "T1-07" => NoPinnedPageMigrates(bug),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "should be T1-01, T1-03, T1-04, T1-06 or T1-07"),
    };

    /// <summary>T1-03 over a container carrying <paramref name="bug"/>, as <see cref="ResultsAgreeWithOracle(Type1Bug)"/>.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition LockedVmMatchesOracle(Type1Bug bug) =>
        Checked("T1-03", "P_T1_03_LockedVmMatchesOracle", Type1Generators.Cases, c => LockedVmMatchesOracle(c, bug));

    /// <summary>T1-06: external pins, their references, and UNMAP's callbacks, retries and BUG, against the oracle on
    /// scenarios that register a device first.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition MdevPinsReferenceAndUnmapRetries(Type1Bug bug) =>
        Checked("T1-06", "P_T1_06_MdevPinsReferenceAndUnmapRetries", Type1Generators.PinCases, c => MdevPinsReferenceAndUnmapRetries(c, bug));

    /// <summary>T1-07: no pinned page migrates; after every call every page a domain (leaf or IOTLB) or an external
    /// pin reaches is pinned (or reserved) and still the memory the process has there, never a page migrated away.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition NoPinnedPageMigrates(Type1Bug bug) =>
        Checked("T1-07", "P_T1_07_NoPinnedPageMigrates", Type1Generators.PinCases, c => NoPinnedPageMigrates(c, bug));

    /// <summary>T1-01 over a container carrying <paramref name="bug"/>: with <see cref="Type1Bug.None"/> the catalogued
    /// property, with a bug the demonstration that it is caught.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition ResultsAgreeWithOracle(Type1Bug bug) =>
        Checked("T1-01", "P_T1_01_ErrnoAndSizeAgreeWithOracle", Type1Generators.Cases, c => ResultsAgreeWithOracle(c, bug));

    /// <summary>T1-04 over a container carrying <paramref name="bug"/>, as <see cref="ResultsAgreeWithOracle(Type1Bug)"/>.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The definition.</returns>
    public static PropertyDefinition NeverUnpinnedWhileReachable(Type1Bug bug) =>
        Checked("T1-04", "P_T1_04_NeverUnpinnedWhileReachable", Type1Generators.Cases, c => NeverUnpinnedWhileReachable(c, bug));

    private static PropertyDefinition Checked(string id, string name, Func<Arbitrary<Type1Case>> cases, Func<Type1Case, Property> check) =>
        new(id, name, Suite, () => Prop.ForAll(cases(), check));

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
            var pins = rig.Container.ExternalPins;
            var wanted = rig.Oracle.ExternalPins;
            verdict.Expect(pins.SequenceEqual(wanted), () => $"{version} at the end: the model's external pins are {string.Join(", ", pins)}, the oracle's {string.Join(", ", wanted)}");
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
                if (result is not { Succeeded: false, KernelBug: false } failed)
                {
                    continue;
                }

                string diff = before.DifferenceFrom(Type1Snapshot.Of(rig.Container));
                verdict.Expect(diff.Length == 0, () => $"{version} step {i + 1} ({op}) failed with {failed.Error} yet changed: {diff}");
                labels.Add($"{Verb(op)} {failed.Error} after {(before.Mappings.Count == 0 ? "nothing" : "mappings")}"
                    + (failed.Error is Errno.ENOMEM or Errno.EFAULT && before.Pins.Count > 0 ? " with pins held" : "")
                    + (before.ExternalPins.Count > 0 ? " with external pins" : ""));
            }
        }

        return Apply(verdict, labels);
    }

    private static Property LockedVmMatchesOracle(Type1Case c, Type1Bug bug)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        ulong page = c.Options.MinPageSize;
        var final = new Dictionary<AccountingMode, ulong>();
        foreach (var mode in new[] { AccountingMode.PerMapping, AccountingMode.Shared })
        {
            var rig = new Type1Rig(c, c.Options with { Accounting = mode, Bug = bug });
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                rig.ApplyToModel(op);
                Type1Rig.ApplyTo(rig.Oracle, op);
                var pins = ExpectSameChargeAndPins(verdict, rig, page, $"{mode} after step {i + 1} ({op})");
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

    /// <summary><c>locked_vm</c> and the pin count of every page agree with the oracle; returns the model's counts.</summary>
    private static Dictionary<ulong, int> ExpectSameChargeAndPins(Verdict verdict, Type1Rig rig, ulong page, string where)
    {
        ulong want = rig.Oracle.LockedVm, got = rig.Host.LockedVm;
        verdict.Expect(got == want, () => $"{where}: locked_vm is 0x{got:x}, the oracle counts 0x{want:x}");
        var pins = rig.ModelPinsByPage(page);
        var oraclePins = rig.Oracle.Pins;
        var wrong = pins.Where(p => oraclePins.GetValueOrDefault(p.Key) != p.Value).Select(p => p.Key)
            .Concat(oraclePins.Keys.Where(k => !pins.ContainsKey(k))).Take(3).ToList();
        verdict.Expect(wrong.Count == 0, () => $"{where}: pin counts differ at hpa {string.Join(", ", wrong.Select(w => $"0x{w:x} (model {pins.GetValueOrDefault(w)}, oracle {oraclePins.GetValueOrDefault(w)})"))}");
        return pins;
    }

    private static Property MdevPinsReferenceAndUnmapRetries(Type1Case c, Type1Bug bug)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        ulong page = c.Options.MinPageSize;
        foreach (var (version, rig) in BothVersions(c, bug))
        {
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                var before = rig.Container.ExternalPins;
                int rounds = rig.Container.Steps.Count(s => s.Kind == Type1StepKind.DeviceCallback);
                var got = rig.ApplyToModel(op);
                var want = Type1Rig.ApplyTo(rig.Oracle, op);
                string where = $"{version} step {i + 1} ({op})";
                verdict.Expect(got == want, () => $"{where}: the model returned {Type1Script.Result(got)}, the oracle {Type1Script.Result(want)}");
                var pins = rig.Container.ExternalPins;
                var wanted = rig.Oracle.ExternalPins;
                verdict.Expect(pins.SequenceEqual(wanted), () => $"{where}: external pins are {string.Join(", ", pins)}, the oracle has {string.Join(", ", wanted)}");
                int modelRounds = rig.Container.Steps.Count(s => s.Kind == Type1StepKind.DeviceCallback);
                verdict.Expect(modelRounds == rig.Oracle.CallbackRounds,
                    () => $"{where}: the devices were called back {modelRounds} times in all, the oracle says {rig.Oracle.CallbackRounds}");
                verdict.Expect((rig.Container.KernelBug is not null) == rig.Oracle.KernelBug,
                    () => $"{where}: kernel BUG is {rig.Container.KernelBug?.ToString() ?? "absent"} in the model, {(rig.Oracle.KernelBug ? "present" : "absent")} in the oracle");
                ExpectSameChargeAndPins(verdict, rig, page, where);
                labels.Add(PinStory(op, want, before, pins, modelRounds - rounds, c.Domains.IsEmpty));
            }
        }

        labels.Add(c.Options.MinPageSize == 0x1_0000 ? "64K pages" : "");
        labels.Add(c.Domains.Length switch { 0 => "no domain", 1 => "one domain", _ => "two domains" });
        return Apply(verdict, labels);
    }

    /// <summary>Which rule of SEMANTICS.md 5.4 a pin, unpin or unmap exercised.</summary>
    private static string PinStory(Type1Op op, Type1Result? want, IReadOnlyList<Type1ExternalPin> before, IReadOnlyList<Type1ExternalPin> after, int rounds, bool noDomain)
    {
        int CountAt(IReadOnlyList<Type1ExternalPin> table, ulong iova) => table.FirstOrDefault(p => p.Iova == iova).Count;
        switch (op)
        {
            case PinPagesOp p when want is { Succeeded: true }:
                return before.Any(b => b.Iova >= p.Iova && CountAt(after, b.Iova) > b.Count) ? "a later pin takes a reference"
                    : noDomain ? "first pin pins and charges (no domain)" : "first pin pins (domain: not charged)";
            case PinPagesOp p:
                return $"PIN -> {Type1Script.Result(want)}{(p.Npage > Type1Container.MaxPinPages ? " (513 pages)" : "")}";
            case UnpinPagesOp when want is { Succeeded: true }:
                return before.Any(b => CountAt(after, b.Iova) == 0) ? "the last unpin unpins"
                    : before.Any(b => CountAt(after, b.Iova) < b.Count) ? "an unpin drops a reference, the page stays pinned" : "";
            case UnmapDmaOp when want is { KernelBug: true } && rounds > 0:
                return "unmap: the 11th retry is the kernel BUG";
            case UnmapDmaOp when want is { Succeeded: true } && rounds > 0:
                return rounds > 1 ? "unmap: callbacks retried, then removed" : "unmap: one callback, then removed";
            default:
                return "";
        }
    }

    private static Property NoPinnedPageMigrates(Type1Case c, Type1Bug bug)
    {
        var verdict = new Verdict();
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        ulong page = c.Options.MinPageSize;
        foreach (var (version, rig) in BothVersions(c, bug))
        {
            for (int i = 0; i < c.Ops.Length; i++)
            {
                var op = c.Ops[i];
                string where = $"{version} after step {i + 1} ({op})";
                ulong? hpa = op is MigrateOp g && rig.Host.Resolve(g.Hva, page, out var segments) ? segments[0].Hpa : null;
                bool pinned = hpa is ulong h && rig.Host.PinCount(h) > 0;
                var result = rig.ApplyToModel(op);
                if (op is MigrateOp)
                {
                    verdict.Expect(!(pinned && result is { Succeeded: true }), () => $"{where}: the pinned page at hpa 0x{hpa:x} migrated");
                    labels.Add(result is { Succeeded: true } ? "an unpinned page migrates" : pinned ? "a pinned page stays" : $"MIGRATE -> {Type1Script.Result(result)}");
                }

                CheckReachablePinned(verdict, rig, where);
                labels.Add(rig.Host.RetiredRanges.Count > 0 && rig.Container.Type1Mappings.Count > 0 ? "mappings live after a migration" : "");
            }
        }

        return Apply(verdict, labels);
    }

    /// <summary>No domain leaf, IOTLB entry (one granule page each) or external pin reaches a physical page that is
    /// neither pinned nor reserved, or that a migration moved away from.</summary>
    private static void CheckReachablePinned(Verdict verdict, Type1Rig rig, string where)
    {
        foreach (var pin in rig.Container.ExternalPins)
        {
            verdict.Expect((rig.Host.PinCount(pin.Hpa) > 0 || rig.Host.IsReserved(pin.Hpa)) && !rig.Host.IsRetired(pin.Hpa),
                () => $"{where}: the external pin {pin} holds hpa 0x{pin.Hpa:x}, which is {(rig.Host.IsRetired(pin.Hpa) ? "migrated away" : "not pinned")}");
        }

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
                    if (!verdict.Expect((rig.Host.PinCount(hpa) > 0 || rig.Host.IsReserved(hpa)) && !rig.Host.IsRetired(hpa),
                        () => $"{where}: domain{dd}'s {what} reaches hpa 0x{hpa:x}, which is {(rig.Host.IsRetired(hpa) ? "migrated away" : "not pinned")}"))
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

    private static string Verb(Type1Op op) => op switch
    {
        MapDmaOp { Flags: var f } when (f & Type1MapFlags.Vaddr) != 0 => "MAP VADDR",
        MapDmaOp => "MAP",
        UnmapDmaOp { Flags: var f } when (f & Type1UnmapFlags.Vaddr) != 0 => "UNMAP VADDR",
        UnmapDmaOp => "UNMAP",
        PinPagesOp => "PIN",
        UnpinPagesOp => "UNPIN",
        MigrateOp => "MIGRATE",
        RegisterDeviceOp => "DEVICE",
        _ => "DMA",
    };

    private static string Classify(Type1Op op, Type1Result want, IReadOnlyList<Type1Mapping> before, HostMemory host, Type1Version version)
    {
        switch (op)
        {
            case MapDmaOp { Flags: var f } when (f & Type1MapFlags.Vaddr) != 0:
                return want.Succeeded ? "MAP VADDR restores a vaddr" : $"MAP VADDR -> {want.Error}";
            case UnmapDmaOp { Flags: var f } when (f & Type1UnmapFlags.Vaddr) != 0:
                return want.Succeeded ? (want.Size > 0 ? "UNMAP VADDR invalidates" : "") : $"UNMAP VADDR -> {want.Error}";
            case PinPagesOp or UnpinPagesOp:
                return want.KernelBug ? "" : $"{Verb(op)} -> {(want.Succeeded ? "ok" : want.Error.ToString())}";
            case MigrateOp:
                return $"MIGRATE -> {(want.Succeeded ? "moved" : want.Error.ToString())}";
            case UnmapDmaOp when want.KernelBug:
                return "UNMAP -> kernel BUG";
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
