using System.Globalization;
using Verify.Harness.Running;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.Dma;

namespace Verify.Harness.Scenarios;

/// <summary>
/// The DMA part of the runner: listeners, containers, raw ioctls, the DMA expectations, and the invariants checked
/// for every container after every step: each ioctl it received gives the result the list-scan
/// <see cref="Type1Ledger"/> gives (and a listener's ioctls all succeed: DL-02), after every transaction, hotplug and
/// unplug an attached container translates exactly the DMA-visible pages of the view (DL-01), a coalescing
/// listener's plan reports the collateral the oracle measures and no more than the history forces (DL-04), a plan past
/// the entry limit issues nothing (DL-07), and the naive listener issues QEMU's ioctls callback for callback (DL-06).
/// </summary>
public sealed partial class ScenarioRunner
{
    private readonly Dictionary<string, ListenerState> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerState> _containers = new(StringComparer.Ordinal);

    // A listener's view of where its containers should converge: the sections it sees, by its own section rules.
    private void BeforeTransaction(StepContext context)
    {
        foreach (var l in _listeners.Values)
        {
            if (l.Listener is CoalescingListener c && context.Unsimplified is { } raw)
            {
                c.UnsimplifiedHint = raw;
            }
        }
    }

    private void AfterTransaction(StepContext context)
    {
        foreach (var c in _containers.Values.Where(c => c.Listener is not null))
        {
            context.Converged.Add(c.Name);
        }
    }

    private string RunDma(ScenarioStep step, StepContext context)
    {
        switch (step)
        {
            case ListenerStep s:
                if (_listeners.ContainsKey(s.Name))
                {
                    throw new StepException($"a listener named '{s.Name}' exists already");
                }

                IMemoryListener listener = s.Listener == ListenerKind.Naive
                    ? new NaiveVfioListener(s.Options)
                    : new CoalescingListener(s.Options, new PlanOptions { Granularity = GranularityOf(s.Granularity), Granule = s.Granule });
                _listeners.Add(s.Name, new ListenerState(s.Name, listener, s.Options));
                _topology.Register(listener);
                return string.Create(CultureInfo.InvariantCulture, $"registered; it has seen the current view of {View.Count} range(s)");
            case ContainerStep s:
                if (_containers.ContainsKey(s.Name))
                {
                    throw new StepException($"a container named '{s.Name}' exists already");
                }

                var backend = ScenarioContainer.Create(s, _host);
                _containers.Add(s.Name, new ContainerState(s.Name, backend, new Port(backend)));
                return $"created ({(backend.Type1 is { } type1 ? type1.Options.ToString() : "split-capable")}), attached to no listener";
            case HotplugStep s:
                return Hotplug(ContainerNamed(s.Container), ListenerNamed(s.Listener), context);
            case UnplugStep s:
                return Unplug(ContainerNamed(s.Container), context);
            case MapStep s:
                return Raw(ContainerNamed(s.Container), b => b.Map(s.Mapping), context);
            case UnmapStep s:
                return Raw(ContainerNamed(s.Container), b => b.Unmap(s.Iova), context);
            case UnmapAllStep s:
                return Raw(ContainerNamed(s.Container), b => b.UnmapAll(), context);
            case ProcessStep s:
                var process = _host.Declare(s);
                return $"declared; RLIMIT_MEMLOCK {(process.RlimitMemlock == ulong.MaxValue ? "unlimited" : ScenarioNumbers.Format(process.RlimitMemlock))}";
            default:
                return RunMdev(step, context) ?? RunPageTable(step, context);
        }
    }

    private string Hotplug(ContainerState container, ListenerState listener, StepContext context)
    {
        if (container.Listener is not null)
        {
            throw new StepException($"container '{container.Name}' is attached to '{container.Listener.Name}' already");
        }

        container.Listener = listener;
        if (listener.Listener is CoalescingListener c)
        {
            c.AddContainer(container.Port);
        }
        else
        {
            ((NaiveVfioListener)listener.Listener).AddContainer(container.Port);
        }

        context.Converged.Add(container.Name);
        return $"{container.Name} attached to {listener.Name}; the current view replayed into it";
    }

    private string Unplug(ContainerState container, StepContext context)
    {
        var listener = container.Listener ?? throw new StepException($"container '{container.Name}' is attached to no listener");
        if (listener.Listener is CoalescingListener c)
        {
            c.RemoveContainer(container.Port);
        }
        else if (container.Backend.Mappings.Count > 0)
        {
            // The naive listener keeps its containers for good; QEMU closes the container, and the kernel drops
            // every mapping, which the model shows as one unmap-all.
            container.Backend.UnmapAll();
        }

        container.Port.Attached = false;
        container.Listener = null;
        context.Converged.Add(container.Name);
        return $"{container.Name} detached from {listener.Name}; {container.Backend.Mappings.Count} mapping(s) left";
    }

    private static string Raw(ContainerState container, Func<IDmaBackend, DmaResult> call, StepContext context)
    {
        var result = call(container.Backend);
        container.TookRawCalls = true;
        context.Raw = result;
        return $"{container.Name}: {result}";
    }

    // Snapshots each container before the step so the step's own ioctls, collateral and legality can be measured.
    private void BeginDmaStep(StepContext context)
    {
        foreach (var c in _containers.Values)
        {
            context.Before[c.Name] = ([.. c.Backend.Mappings], c.Backend.Calls.Count, (c.Listener?.Listener as CoalescingListener)?.Failures.Count ?? 0);
        }
    }

    private void EndDmaStep(StepContext context)
    {
        foreach (var c in _containers.Values)
        {
            if (!context.Before.TryGetValue(c.Name, out var before))
            {
                before = ([], 0, 0);
            }

            var calls = c.Backend.Calls.Skip(before.Calls).ToList();
            var observed = new ContainerEffect(c.Name, calls.Count, 0);
            if (calls.Count > 0)
            {
                CheckLegality(context, c, before.Mappings, before.Calls);
                // Cut at both host page sizes the listeners support: a section's mapped interior ends at either rounding.
                var cuts = context.OldView is { } oldView
                    ? new[] { 0x1000UL, 0x1_0000UL }.SelectMany(p => CollateralOracle.Boundaries(oldView, p).Concat(CollateralOracle.Boundaries(View, p))).ToList()
                    : [];
                var measured = CollateralOracle.Measure(before.Mappings, [.. calls.Select(x => x.Operation)],
                    a => DmaVisibilityOracle.Lookup(before.Mappings, a), a => DmaVisibilityOracle.Lookup(c.Backend.Mappings, a), c.Backend.Traits, cuts);
                observed = observed with { Collateral = measured.CollateralBytes };
                context.Lines.Add($"{c.Name}: {calls.Count} ioctl(s), collateral {ScenarioNumbers.Format(measured.CollateralBytes)} bytes");
                context.Lines.AddRange(calls.Select(x => $"  {x}"));
                if (c.Listener?.Listener is CoalescingListener listener && !context.Raw.HasValue && context.Converged.Contains(c.Name)
                    && listener.LastPlans.TryGetValue(c.Port, out var plan))
                {
                    CheckCoalescingCost(context, c, before.Mappings, plan, measured, cuts);
                }
            }

            if (c.Listener?.Listener is NaiveVfioListener && context.OldView is { } old && context.Converged.Contains(c.Name) && !c.TookRawCalls && !c.Diverged)
            {
                CheckNaiveCalls(context.Invariants, c, old, View, calls);
            }

            if (c.Listener?.Listener is NaiveVfioListener && calls.FirstOrDefault(x => !x.Result.Succeeded) is { Operation: not null } failed)
            {
                // QEMU aborts when a MAP fails at run time; the naive listener models QEMU, so this is reported as
                // what QEMU would do, not as a bug of the listener (DL-06 checks it issued QEMU's ioctls), and the
                // container is no longer expected to match the view.
                context.Lines.Add($"{c.Name}: QEMU would abort here: {failed}");
                c.Diverged = true;
            }

            if (c.Listener?.Listener is CoalescingListener && calls.FirstOrDefault(x => IsHostRefusal(x.Result)) is { Operation: not null } refusedByHost)
            {
                // The process's memlock limit (or a region without host memory) is the host's answer, not a wrong
                // plan: QEMU would abort as it does for the naive listener.
                context.Lines.Add($"{c.Name}: QEMU would abort here: {refusedByHost}");
                c.Diverged = true;
            }

            if (c.Listener?.Listener is CoalescingListener l && l.Failures.Count > before.Failures)
            {
                foreach (var f in l.Failures.Skip(before.Failures).Where(f => !IsHostRefusal(f.Result)))
                {
                    context.Invariants.Expect(false, () => $"{c.Name}: the coalescing listener's ioctl was refused: {f}");
                }
            }

            context.Observed[c.Name] = observed;
            if (c.Listener?.Listener is CoalescingListener owner && context.Converged.Contains(c.Name)
                && owner.LastPlans.TryGetValue(c.Port, out var refused) && refused.ExceedsEntryLimit)
            {
                // DL-07: a plan past the entry limit is reported and not applied, so the container keeps its old
                // mappings; converging is not expected, issuing nothing is.
                context.Lines.Add($"{c.Name}: plan refused, it would exceed the entry limit ({refused.PeakLiveMappings} live mappings)");
                context.Invariants.Expect(calls.Count == 0, () => $"{c.Name}: a refused plan was partly applied ({calls.Count} ioctls)");
            }
            else if (context.Converged.Contains(c.Name) && c.Listener is { } attached && !c.TookRawCalls && !c.Diverged)
            {
                CheckTranslations(context.Invariants, c, View, attached.Options);
            }
        }
    }

    // DL-04: the plan reports what executing it costs, and under type1 the cost is the least the history forces
    // (brute force, so only for histories of at most 14 mappings); a split-capable backend never needs any.
    private void CheckCoalescingCost(StepContext context, ContainerState c, IReadOnlyList<DmaMapping> before, DmaPlan plan,
        CollateralOracle.Execution measured, IReadOnlyList<UInt128> cuts)
    {
        var verdict = context.Invariants;
        verdict.Expect(plan.CollateralBytes == measured.CollateralBytes,
            () => $"{c.Name}: the coalescing listener's plan reports {ScenarioNumbers.Format(plan.CollateralBytes)} collateral bytes, the oracle measures {ScenarioNumbers.Format(measured.CollateralBytes)}");
        verdict.Expect(plan.LargestWindow == measured.LargestWindow,
            () => $"{c.Name}: the plan reports a largest window of {plan.LargestWindow} ioctls, the oracle measures {measured.LargestWindow}");
        if (context.OldView is null || c.Listener is not { } attached)
        {
            return;
        }

        if (c.Backend.Traits.UnmapMayBisect)
        {
            verdict.Expect(measured.CollateralBytes == 0,
                () => $"{c.Name}: a split-capable backend still unmaps {ScenarioNumbers.Format(measured.CollateralBytes)} unchanged bytes");
        }
        else if (before.Count <= 14)
        {
            var view = View;
            var minimum = CollateralOracle.MinimumType1Collateral(before, a => DmaVisibilityOracle.Translate(view, attached.Options, a), cuts);
            verdict.Expect(measured.CollateralBytes == minimum,
                () => $"{c.Name}: the plan unmaps {ScenarioNumbers.Format(measured.CollateralBytes)} unchanged bytes; the history forces only {ScenarioNumbers.Format(minimum)}");
        }
    }

    // DL-06: QEMU's vfio listener issues one UNMAP per deleted DMA section, then one MAP per added one, in address
    // order (a 2^64 section is unmapped with unmap-all, or two halves without it).
    private static void CheckNaiveCalls(Verdict verdict, ContainerState c, FlatView old, FlatView now, IReadOnlyList<ApiCall> calls)
    {
        var options = c.Listener!.Options;
        var expected = new List<DmaOperation>();
        var diff = Oracle.MemoryMap.TopologyOracle.Diff(old.Ranges, now.Ranges);
        foreach (var deleted in diff.Deleted.OrderBy(r => r.Range.Start))
        {
            if (DmaVisibilityOracle.SectionMap(deleted, options) is { } m)
            {
                expected.AddRange(m.Iova.Size != AddressSpace.End ? [new DmaOperation.Unmap(m.Iova)]
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

        var actual = calls.Select(x => x.Operation).ToList();
        verdict.Expect(actual.SequenceEqual(expected),
            () => $"{c.Name}: naive ioctls\n  {string.Join("\n  ", actual)}\nQEMU issues\n  {string.Join("\n  ", expected)}");
    }

    // DL-02 and T1-01 in one: every call's result is the ledger's (for type1, with the kernel checks the ledger
    // leaves out applied around it); a call a listener issued must also succeed.
    private static void CheckLegality(StepContext context, ContainerState c, IReadOnlyList<DmaMapping> before, int firstCall)
    {
        var ledger = new Type1Ledger(c.Backend.Traits, before);
        for (int i = firstCall; i < c.Backend.Calls.Count; i++)
        {
            var call = c.Backend.Calls[i];
            var expected = c.Backend.Type1 is null ? ledger.Apply(call.Operation) : ExpectedType1Result(c.Backend, ref ledger, call.Operation, c.Backend.Type1Calls[i]);
            context.Invariants.Expect(expected == call.Result,
                () => $"{c.Name}: {call.Operation} returned {call.Result}; the type1 rules give {expected}");
            context.Invariants.Expect(context.Raw.HasValue || call.Result.Succeeded || c.Listener?.Listener is NaiveVfioListener || IsHostRefusal(call.Result),
                () => $"{c.Name}: the listener issued an illegal ioctl: {call}");
        }
    }

    // DL-01: the container translates exactly the DMA-visible pages of the view, checked at both ends of every cell
    // the view's ranges (and their host-page-rounded interiors) and the container's mappings cut the space into.
    private static void CheckTranslations(Verdict verdict, ContainerState c, FlatView view, DmaOptions options)
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

        foreach (var m in c.Backend.Mappings)
        {
            cuts.Add(m.Iova.Start);
            cuts.Add(m.Iova.End);
        }

        foreach (var cut in cuts)
        {
            foreach (UInt128 at in new[] { cut, cut - 1 })
            {
                if (cut == 0 && at != cut || at >= AddressSpace.End)
                {
                    continue;
                }

                ulong a = (ulong)at;
                var expected = DmaVisibilityOracle.Translate(view, options, a);
                var actual = DmaVisibilityOracle.Lookup(c.Backend.Mappings, a);
                verdict.Expect(expected == actual,
                    () => $"{c.Name}: IOVA 0x{a:x} translates to {actual?.ToString() ?? "nothing"}, the view makes it {expected?.ToString() ?? "nothing"}");
            }
        }
    }

    private void CheckDmaExpectations(ScenarioStep step, StepContext context, Verdict verdict)
    {
        var e = step.Expect;
        if (e.Errno is { } errno)
        {
            verdict.Expect(context.Raw is { } r && r.Error == errno,
                () => context.Raw is { } r2 ? $"errno {Show(r2.Error)}, expected {Show(errno)}" : "errno expected, but the step made no raw call");
        }

        if (e.Size is { } size)
        {
            verdict.Expect(context.Raw is { } r && r.Size == size,
                () => context.Raw is { } r2 ? $"size {ScenarioNumbers.Format(r2.Size)}, expected {ScenarioNumbers.Format(size)}" : "size expected, but the step made no raw call");
        }

        foreach (var t in e.Translations.Where(t => !t.OfPageTable && !t.OfDevice))
        {
            if (!_containers.TryGetValue(t.Target, out var c))
            {
                verdict.Expect(false, () => $"translation of 0x{t.Iova:x}: no container named '{t.Target}'");
                continue;
            }

            string? actual = DmaVisibilityOracle.Lookup(c.Backend.Mappings, t.Iova)?.ToString();
            verdict.Expect(actual == t.To, () => $"{t.Target}: IOVA 0x{t.Iova:x} translates to {actual ?? "nothing"}, expected {t.To ?? "nothing"}");
        }

        foreach (var (name, count) in e.Ioctls)
        {
            int actual = context.Observed.TryGetValue(name, out var o) ? o.Ioctls : -1;
            verdict.Expect(actual == count, () => actual < 0 ? $"ioctls: no container named '{name}'" : $"{name}: {actual} ioctl(s), expected {count}");
        }

        foreach (var (name, bytes) in e.Collateral)
        {
            UInt128? actual = context.Observed.TryGetValue(name, out var o) ? o.Collateral : null;
            verdict.Expect(actual == bytes,
                () => actual is null ? $"collateral: no container named '{name}'" : $"{name}: collateral {ScenarioNumbers.Format(actual.Value)} bytes, expected {ScenarioNumbers.Format(bytes)}");
        }

        foreach (var (name, mappings) in e.Mappings)
        {
            var actual = _containers.TryGetValue(name, out var c) ? c.Backend.Mappings.Select(m => m.ToString()).ToList() : null;
            verdict.Expect(actual is not null && actual.SequenceEqual(mappings),
                () => actual is null ? $"mappings: no container named '{name}'" : $"{name}: mappings\n  {string.Join("\n  ", actual)}\nexpected\n  {string.Join("\n  ", mappings)}");
        }
    }

    private static string Show(Errno errno) => errno == Errno.None ? "none" : errno.ToString();

    private static MappingGranularity GranularityOf(string name) => name switch
    {
        "region-boundaries" => MappingGranularity.RegionBoundaries,
        "fixed-granule" => MappingGranularity.FixedGranule,
        _ => MappingGranularity.PerRange,
    };

    private ContainerState ContainerNamed(string name) =>
        _containers.TryGetValue(name, out var c) ? c : throw new StepException($"no container named '{name}'; create it with a 'container' step");

    private ListenerState ListenerNamed(string name) =>
        _listeners.TryGetValue(name, out var l) ? l : throw new StepException($"no listener named '{name}'; register it with a 'listener' step");

    /// <summary>A registered listener.</summary>
    private sealed record ListenerState(string Name, IMemoryListener Listener, DmaOptions Options);

    /// <summary>A container: the model backend, the port its listener drives, and where it is attached.</summary>
    private sealed class ContainerState(string name, ScenarioContainer backend, Port port)
    {
        public string Name { get; } = name;

        public ScenarioContainer Backend { get; } = backend;

        public Port Port { get; } = port;

        public ListenerState? Listener { get; set; }

        // Raw calls put mappings behind the listener's back; from then on convergence is the scenario's business.
        public bool TookRawCalls { get; set; }

        // A naive container whose MAP failed (QEMU would have aborted) no longer follows the view.
        public bool Diverged { get; set; }
    }

    /// <summary>What the step did to one container.</summary>
    private sealed record ContainerEffect(string Name, int Ioctls, UInt128 Collateral);

    /// <summary>The backend as a listener sees it. The naive listener cannot forget a container, so after an unplug
    /// its calls stop here instead of reaching a container that no longer belongs to a device.</summary>
    private sealed class Port(ScenarioContainer backend) : IDmaBackend
    {
        public bool Attached { get; set; } = true;

        public string Name => backend.Name;

        public DmaBackendTraits Traits => backend.Traits;

        public IReadOnlyList<DmaMapping> Mappings => backend.Mappings;

        public DmaResult Map(in DmaMapping mapping) => Attached ? backend.Map(mapping) : DmaResult.Ok(0);

        public DmaResult Unmap(AddressRange iova) => Attached ? backend.Unmap(iova) : DmaResult.Ok(0);

        public DmaResult UnmapAll() => Attached ? backend.UnmapAll() : DmaResult.Ok(0);
    }
}
