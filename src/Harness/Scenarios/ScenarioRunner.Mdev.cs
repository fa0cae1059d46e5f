using System.Globalization;
using Verify.Harness.Running;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.Oracle.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>
/// The mdev part of the runner (SEMANTICS.md 5.4): devices, external pins, raw MAP_DMA / UNMAP_DMA at host addresses
/// (the VADDR pair among them) and host migrations. A type1 container alone in a process whose memory the scenario
/// declares is shadowed by a <see cref="Type1Oracle"/> fed the same calls from its first one: every call must return
/// what the oracle returns (errno, size, pfns, kernel BUG), and afterwards the external pin table and the process's
/// <c>locked_vm</c> must be the oracle's. A container a listener or a region-based <c>map</c> also drives, or that
/// shares its process, is checked by the accounting invariant and its expectations only.
/// </summary>
public sealed partial class ScenarioRunner
{
    private readonly Dictionary<string, OracleShadow> _shadows = new(StringComparer.Ordinal);
    private readonly HashSet<string> _calledDirectly = new(StringComparer.Ordinal);

    private string? RunMdev(ScenarioStep step, StepContext context) => step switch
    {
        DeviceStep s => Type1Call(s.Container, context,
            t => Type1Result.Fail(t.RegisterDevice(s.Name, s.Callback)), o => Type1Result.Fail(o.RegisterDevice(s.Name, s.Callback))),
        PinStep s => Type1Call(s.Container, context,
            t => t.PinPages(s.Device, s.Iova, s.Npage, FlagsOf(s.Prot)), o => o.Pin(s.Device, s.Iova, s.Npage, FlagsOf(s.Prot))),
        UnpinStep s => Type1Call(s.Container, context, t => t.UnpinPages(s.Device, s.Iova, s.Npage), o => o.Unpin(s.Device, s.Iova, s.Npage)),
        MapDmaStep s => Type1Call(s.Container, context, t => t.MapDma(s.Flags, s.Iova, s.Vaddr, s.Size), o => o.Map(s.Flags, s.Iova, s.Vaddr, s.Size)),
        UnmapDmaStep s => Type1Call(s.Container, context, t => t.UnmapDma(s.Flags, s.Iova, s.Size), o => o.Unmap(s.Flags, s.Iova, s.Size)),
        MigrateStep s => Migrate(s, context),
        DmaAccessStep s => Access(s),
        _ => null,
    };

    private static Type1MapFlags FlagsOf(Protection prot) =>
        ((prot & Protection.Read) != 0 ? Type1MapFlags.Read : Type1MapFlags.None) | ((prot & Protection.Write) != 0 ? Type1MapFlags.Write : Type1MapFlags.None);

    private string Type1Call(string name, StepContext context, Func<Type1Container, Type1Result> call, Func<Type1Oracle, Type1Result> oracleCall)
    {
        var c = ContainerNamed(name);
        var type1 = c.Backend.Type1 ?? throw new StepException($"container '{name}' is split-capable (bisect: true); only a type1 container takes this call");
        var shadow = ShadowOf(c, context);
        int rounds = CallbackRounds(type1);
        var result = c.Backend.Direct(call);
        rounds = CallbackRounds(type1) - rounds;
        c.TookRawCalls = true;
        context.Type1Raw = result;
        context.Raw = result.KernelBug ? null : new DmaResult(result.Error, result.Size);
        if (shadow is not null)
        {
            var expected = oracleCall(shadow.Oracle);
            context.Invariants.Expect(expected == result, () => $"{name}: returned {result}, the oracle gives {expected}");
            CompareWithOracle(context, c, shadow);
        }

        return $"{name}: {result}{(rounds > 0 ? string.Create(CultureInfo.InvariantCulture, $" after {rounds} round(s) of device callbacks") : "")}{(type1.ExternalPins.Count > 0 ? "; external pins " + string.Join(", ", type1.ExternalPins) : "")}";
    }

    private string Access(DmaAccessStep s)
    {
        var type1 = ContainerNamed(s.Container).Backend.Type1 ?? throw new StepException($"container '{s.Container}' is split-capable (bisect: true); it has no domain");
        if (type1.Domains.Count == 0)
        {
            return $"{s.Container}: no domain, nothing to read through";
        }

        var translation = type1.Domains[0].Iotlb.Access(s.Iova);
        return $"{s.Container}: domain0 gives {translation?.ToString() ?? "nothing (fault)"}";
    }

    private static int CallbackRounds(Type1Container type1) => type1.Steps.Count(x => x.Kind == Type1StepKind.DeviceCallback);

    private string Migrate(MigrateStep s, StepContext context)
    {
        var process = _host.Processes.TryGetValue(s.Process, out var p) ? p
            : throw new StepException($"no process named '{s.Process}'; declare it with a 'process' step");
        var error = process.Migrate(s.Hva, s.Size, s.To);
        context.Raw = new DmaResult(error, 0);
        foreach (var c in _containers.Values.Where(c => c.Backend.Process == process && _shadows.ContainsKey(c.Name)).ToList())
        {
            var shadow = _shadows[c.Name];
            if (s.Size != c.Backend.Type1!.Options.MinPageSize)
            {
                // The oracle migrates one page of the container's size.
                Abandon(c.Name, context, "a migration of another size than its page");
                continue;
            }

            var expected = shadow.Oracle.Migrate(s.Hva, s.To);
            context.Invariants.Expect(expected == error, () => $"{s.Process}: the migration returned {Show(error)}, the oracle gives {Show(expected)}");
            CompareWithOracle(context, c, shadow);
        }

        return $"{s.Process}: {Show(error)}";
    }

    // The oracle follows a container from its first call, while it is the only container of a process whose memory
    // the scenario declared and every call it takes comes through here.
    private OracleShadow? ShadowOf(ContainerState c, StepContext context)
    {
        bool first = _calledDirectly.Add(c.Name);
        var process = c.Backend.Process!;
        bool alone = _containers.Values.Count(o => o.Backend.Process == process) == 1;
        if (first)
        {
            if (alone && c.Backend.Calls.Count == 0 && _host.Processes.FirstOrDefault(p => p.Value == process).Key is { } owner && _host.HasOwnMemory(owner))
            {
                var type1 = c.Backend.Type1!;
                var oracle = new Type1Oracle(type1.Options with { Bug = Type1Bug.None }, type1.Domains.Count > 0, process.VirtualRuns, process.ReservedRanges,
                    process.RlimitMemlock, process.CapIpcLock, process.LockedVm);
                _shadows[c.Name] = new OracleShadow(oracle);
            }

            return _shadows.GetValueOrDefault(c.Name);
        }

        if (!_shadows.TryGetValue(c.Name, out var shadow))
        {
            return null;
        }

        if (c.Backend.Calls.Count != 0 || !alone)
        {
            Abandon(c.Name, context, c.Backend.Calls.Count != 0 ? "it took a call the oracle did not see" : "another container shares its process");
            return null;
        }

        return shadow;
    }

    private void Abandon(string name, StepContext context, string why)
    {
        _shadows.Remove(name);
        context.Lines.Add($"{name}: no longer checked against the type1 oracle: {why}");
    }

    private static void CompareWithOracle(StepContext context, ContainerState c, OracleShadow shadow)
    {
        var type1 = c.Backend.Type1!;
        var pins = type1.ExternalPins;
        var wanted = shadow.Oracle.ExternalPins;
        context.Invariants.Expect(pins.SequenceEqual(wanted),
            () => $"{c.Name}: external pins {Listed(pins)}, the oracle has {Listed(wanted)}");
        ulong lockedVm = c.Backend.Process!.LockedVm, oracleLockedVm = shadow.Oracle.LockedVm;
        context.Invariants.Expect(lockedVm == oracleLockedVm,
            () => $"{c.Name}: locked_vm {ScenarioNumbers.Format(lockedVm)}, the oracle counts {ScenarioNumbers.Format(oracleLockedVm)}");
    }

    private static string Listed(IReadOnlyList<Type1ExternalPin> pins) => pins.Count == 0 ? "none" : string.Join(", ", pins);

    private void CheckMdevExpectations(StepExpectations e, StepContext context, Verdict verdict)
    {
        if (e.KernelBug is { } bug)
        {
            bool actual = context.Type1Raw is { KernelBug: true };
            verdict.Expect(actual == bug, () => context.Type1Raw is { } r ? $"the call returned {r}, expected {(bug ? "the kernel BUG" : "no kernel BUG")}"
                : "kernel-bug expected, but the step made no type1 call");
        }

        if (e.Pfns is { } pfns)
        {
            verdict.Expect(context.Type1Raw is { } r && r.Pfns.SequenceEqual(pfns), () => context.Type1Raw is { } r2
                ? $"pfns {string.Join(",", r2.Pfns.Select(p => ScenarioNumbers.Format(p)))}, expected {string.Join(",", pfns.Select(p => ScenarioNumbers.Format(p)))}"
                : "pfns expected, but the step made no type1 call");
        }

        foreach (var (name, expected) in e.ExternalPins)
        {
            var actual = _containers.TryGetValue(name, out var c) && c.Backend.Type1 is { } t ? t.ExternalPins.Select(p => p.ToString()).ToList() : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(expected),
                () => actual is null ? $"external-pins: no type1 container named '{name}'"
                    : $"{name}: external pins\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", expected)}");
        }
    }

    // External pins in the accounting invariant: every non-reserved page they hold is pinned, and without a domain
    // each is charged once per container (with a domain the mapping's own pin already charged it).
    private static (List<(UInt128 Start, UInt128 End)> Pins, UInt128 Charged) ExternalPinAccounting(HostMemory process, IEnumerable<Type1Container> containers)
    {
        var pins = new List<(UInt128 Start, UInt128 End)>();
        UInt128 charged = 0;
        foreach (var t in containers)
        {
            ulong page = t.Options.MinPageSize;
            foreach (var pin in t.ExternalPins.Where(p => !process.IsReserved(p.Hpa)))
            {
                pins.Add((pin.Hpa, (UInt128)pin.Hpa + page));
                charged += t.Domains.Count == 0 ? page : 0;
            }
        }

        return (pins, charged);
    }

    /// <summary>A container's oracle.</summary>
    private sealed record OracleShadow(Type1Oracle Oracle);
}
