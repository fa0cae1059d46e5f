using Verify.Harness.Core;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;
using Verify.Oracle.Dma;
using Verify.Vfio;

namespace Verify.Harness.Scenarios;

/// <summary>Judging a step's expectations against what the machine shows after it.</summary>
public sealed partial record StepExpectations
{
    private const ulong HostPage = 0x1000;

    /// <summary>Records every expectation that does not hold.</summary>
    /// <param name="m">The machine after the step.</param>
    /// <param name="verdict">Where broken expectations go.</param>
    internal void CheckAgainst(ScenarioMachine m, Verdict verdict)
    {
        if (IsEmpty)
        {
            return;
        }

        CheckView(m, verdict);
        CheckDma(m, verdict);
        CheckHost(m, verdict);
        CheckType1(m, verdict);
        CheckPageTables(m, verdict);
        CheckGuest(m, verdict);
    }

    private void CheckView(ScenarioMachine m, Verdict verdict)
    {
        if (Ranges is { } ranges)
        {
            var actual = m.MemoryMap.View.Ranges.Select(r => r.ToString()).ToList();
            verdict.Expect(actual.SequenceEqual(ranges), () => $"ranges:\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", ranges)}");
        }
    }

    private void CheckDma(ScenarioMachine m, Verdict verdict)
    {
        // A raw call's result: a DMA or type1 call, a page table's map or unmap, or a guest device's vfio pin.
        var raw = m.Dma.Step.Raw ?? m.PageTables.Step switch
        {
            { Kind: PageTableOperationKind.Map, ModelMap: { } r } => r.Succeeded ? DmaResult.Ok(r.Mapped) : DmaResult.Fail(r.Error),
            { Kind: PageTableOperationKind.Unmap, ModelUnmapped: { } u } => DmaResult.Ok(u),
            _ => m.Guest.Pin is { Model.KernelBug: false } p ? new DmaResult(p.Model.Error, p.Model.Size) : (DmaResult?)null,
        };
        if (Errno is { } errno)
        {
            verdict.Expect(raw is { } r && r.Error == errno,
                () => raw is { } r2 ? $"errno {ScenarioVocabulary.ErrnoName(r2.Error)}, expected {ScenarioVocabulary.ErrnoName(errno)}" : "errno expected, but the step made no raw call");
        }

        if (Size is { } size)
        {
            verdict.Expect(raw is { } r && r.Size == size,
                () => raw is { } r2 ? $"size {ScenarioNumbers.Format(r2.Size)}, expected {ScenarioNumbers.Format(size)}" : "size expected, but the step made no raw call");
        }

        foreach (var t in Translations.Where(t => !t.OfPageTable && !t.OfDevice))
        {
            if (!m.Dma.Containers.TryGetValue(t.Target, out var c))
            {
                verdict.Expect(false, () => $"translation of 0x{t.Iova:x}: no container named '{t.Target}'");
                continue;
            }

            string? actual = DmaVisibilityOracle.Lookup(c.Backend.Mappings, t.Iova)?.ToString();
            verdict.Expect(actual == t.To, () => $"{t.Target}: IOVA 0x{t.Iova:x} translates to {actual ?? "nothing"}, expected {t.To ?? "nothing"}");
        }

        foreach (var (name, count) in Ioctls)
        {
            int actual = Effect(m, name)?.Ioctls ?? -1;
            verdict.Expect(actual == count, () => actual < 0 ? $"ioctls: no container named '{name}'" : $"{name}: {actual} ioctl(s), expected {count}");
        }

        foreach (var (name, bytes) in Collateral)
        {
            UInt128? actual = Effect(m, name)?.Collateral;
            verdict.Expect(actual == bytes,
                () => actual is null ? $"collateral: no container named '{name}'" : $"{name}: collateral {ScenarioNumbers.Format(actual.Value)} bytes, expected {ScenarioNumbers.Format(bytes)}");
        }

        foreach (var (name, mappings) in Mappings)
        {
            var actual = m.Dma.Containers.TryGetValue(name, out var c) ? c.Backend.Mappings.Select(x => x.ToString()).ToList() : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(mappings),
                () => actual is null ? $"mappings: no container named '{name}'" : $"{name}: mappings\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", mappings)}");
        }
    }

    // A container of the DMA host, or the one the vIOMMU opened for a device (named container-DEVICE).
    private static ContainerEffect? Effect(ScenarioMachine m, string name)
    {
        if (m.Dma.Step.Effects.TryGetValue(name, out var effect))
        {
            return effect;
        }

        var guest = m.Guest.Observed?.Devices.FirstOrDefault(d => GuestHost.ContainerName(d.Key) == name);
        return guest is { Key: not null } g ? new ContainerEffect(name, g.Value.Ioctls, g.Value.Collateral) : null;
    }

    private void CheckHost(ScenarioMachine m, Verdict verdict)
    {
        var processes = m.Dma.Processes.Processes;
        foreach (var (name, bytes) in LockedVm)
        {
            ulong? actual = processes.TryGetValue(name, out var p) ? p.LockedVm : m.Guest.LockedVm(name);
            verdict.Expect(actual == bytes, () => actual is null ? $"locked-vm: no process named '{name}'"
                : $"process {name}: locked_vm {ScenarioNumbers.Format(actual.Value)}, expected {ScenarioNumbers.Format(bytes)}");
        }

        foreach (var (name, pages) in Pinned)
        {
            long? actual = processes.TryGetValue(name, out var p) ? (long)(PinnedBytes(p) / HostPage) : null;
            verdict.Expect(actual == pages, () => actual is null ? $"pinned: no process named '{name}'" : $"process {name}: {actual} pinned page(s), expected {pages}");
        }

        foreach (var (name, rule) in MemlockLimit)
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

            ulong? actual = processes.TryGetValue(name, out var p) ? p.RlimitMemlock : null;
            verdict.Expect(actual is not null && actual == limit, () => actual is null ? $"memlock-limit: no process named '{name}'"
                : $"process {name}: RLIMIT_MEMLOCK {ScenarioNumbers.Format(actual.Value)}, {rule} gives {(limit is { } l ? ScenarioNumbers.Format(l) : "more than 2^64")}");
        }
    }

    // The bytes the process has pinned, each page once however many pins it holds.
    private static UInt128 PinnedBytes(Verify.IommuModel.Host.HostMemory process)
    {
        UInt128 total = 0, reached = 0;
        foreach (var run in process.PinnedRuns.OrderBy(r => r.Hpa))
        {
            UInt128 start = UInt128.Max(run.Hpa, reached);
            if (run.End > start)
            {
                total += run.End - start;
                reached = run.End;
            }
        }

        return total;
    }

    private void CheckType1(ScenarioMachine m, Verdict verdict)
    {
        var call = m.Dma.Step.Type1Raw ?? m.Guest.Pin?.Model;
        if (KernelBug is { } bug)
        {
            bool actual = call is { KernelBug: true };
            verdict.Expect(actual == bug, () => call is { } r ? $"the call returned {r}, expected {(bug ? "the kernel BUG" : "no kernel BUG")}"
                : "kernel-bug expected, but the step made no type1 call");
        }

        if (Pfns is { } pfns)
        {
            verdict.Expect(call is { } r && r.Pfns.SequenceEqual(pfns), () => call is { } r2
                ? $"pfns {string.Join(",", r2.Pfns.Select(p => ScenarioNumbers.Format(p)))}, expected {string.Join(",", pfns.Select(p => ScenarioNumbers.Format(p)))}"
                : "pfns expected, but the step made no type1 call");
        }

        foreach (var (name, expected) in ExternalPins)
        {
            var actual = m.Dma.Containers.TryGetValue(name, out var c) && c.Backend.Type1 is { } t ? t.ExternalPins.Select(p => p.ToString()).ToList() : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(expected),
                () => actual is null ? $"external-pins: no type1 container named '{name}'"
                    : $"{name}: external pins\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", expected)}");
        }
    }

    private void CheckPageTables(ScenarioMachine m, Verdict verdict)
    {
        var tables = m.PageTables.Tables;
        foreach (var t in Translations.Where(t => t.OfPageTable))
        {
            string? actual = tables.TryGetValue(t.Target, out var table) ? table.Walk(t.Iova)?.ToString() : "no such table";
            verdict.Expect(actual == t.To, () => $"{t.Target}: IOVA 0x{t.Iova:x} translates to {actual ?? "nothing"}, expected {t.To ?? "nothing"}");
        }

        foreach (var (name, leaves) in Leaves)
        {
            // A user's table shows no leaves: its expectation is judged by the oracle's, which its walk is checked against.
            var actual = tables.TryGetValue(name, out var t)
                ? t.Table is { } table ? table.Leaves().Select(l => l.ToString()).ToList() : t.Oracle?.Leaves.Select(l => new Verify.IommuModel.PageTables.PageTableLeaf(l.Iova, l.Size, l.Pa, l.Protection).ToString()).ToList()
                : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(leaves),
                () => actual is null ? $"leaves: no page table named '{name}'" : $"{name}: leaves\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", leaves)}");
        }

        foreach (var (name, stale) in Stale)
        {
            var actual = tables.TryGetValue(name, out var t) ? t.Table is { } table ? StaleEntries(table) : StaleEntries(t) : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(stale),
                () => actual is null ? $"stale: no page table named '{name}'" : $"{name}: stale IOTLB entries\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", stale)}");
        }
    }

    /// <summary>IOTLB leaf entries whose translation is not the table's any more, in IOVA order, as
    /// <c>iova=0x200000 -> 0x40200000 rw (from a 2M leaf), table: nothing</c>.</summary>
    /// <param name="table">A table.</param>
    /// <returns>The entries.</returns>
    internal static List<string> StaleEntries(IoPageTable table) =>
    [
        .. table.Iotlb.CachedLeaves
            .Where(l => table.Translate(l.Iova) != new Translation(l.Pa, l.Protection))
            .OrderBy(l => l.Iova)
            .Select(l => $"iova=0x{l.Iova:x} -> 0x{l.Pa:x} {PageTableText.Of(l.Protection)} (from a {PageTableText.Size(l.LeafSize)} leaf), table: {table.Translate(l.Iova)?.ToString() ?? "nothing"}"),
    ];

    // The same for a user's table behind the harness's IOTLB, which caches the smallest page.
    private static List<string> StaleEntries(TableState table) =>
    [
        .. table.User!.CachedPages
            .Where(p => table.Walk(p.Key) != p.Value)
            .Select(p => $"iova=0x{p.Key:x} -> 0x{p.Value.Pa:x} {PageTableText.Of(p.Value.Protection)} (from a {PageTableText.Size(table.Options.Format.Granule)} page), table: {table.Walk(p.Key)?.ToString() ?? "nothing"}"),
    ];

    private void CheckGuest(ScenarioMachine m, Verdict verdict)
    {
        var answer = m.Guest.Answer;
        if (Refused is { } refused)
        {
            verdict.Expect(answer == refused, () => answer is { } a ? $"the vIOMMU answered {a}, expected {refused}" : $"refused {refused} expected, but the step made no guest request");
        }

        foreach (var t in Translations.Where(t => t.OfDevice))
        {
            if (!m.Guest.Translate(t.Target, t.Iova, out var translation))
            {
                verdict.Expect(false, () => $"translation of 0x{t.Iova:x}: no device '{t.Target}' is plugged behind a vIOMMU");
                continue;
            }

            string? actual = translation?.ToString();
            verdict.Expect(actual == t.To, () => $"{t.Target}: IOVA 0x{t.Iova:x} translates to {actual ?? "nothing"}, expected {t.To ?? "nothing"}");
        }
    }
}
