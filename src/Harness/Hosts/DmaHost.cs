using System.Globalization;
using Verify.Harness.Core;
using Verify.Harness.Implementations;
using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Topology;
using Verify.Oracle.Dma;
using Verify.Oracle.Type1;
using Verify.Vfio;

namespace Verify.Harness.Hosts;

/// <summary>
/// The DMA side of a scenario: DMA listeners registered on the address space, the containers they drive (type1
/// containers in the scenario's processes, or the split-capable model), raw ioctls, mdev devices and pins, and host
/// migrations. Each step's effect on every container is measured (ioctls, collateral against the oracle's
/// translation before and after); a type1 container alone in a process whose memory the scenario declares is
/// shadowed by a <see cref="Type1Oracle"/> fed the same calls. What the checks compare is recorded in
/// <see cref="Step"/>; the host judges nothing itself.
/// </summary>
/// <remarks>Not thread-safe; one host runs one scenario.</remarks>
public sealed class DmaHost
{
    private readonly Dictionary<string, ListenerState> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerState> _containers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Type1Oracle> _shadows = new(StringComparer.Ordinal);
    private readonly HashSet<string> _calledDirectly = new(StringComparer.Ordinal);
    private readonly ImplementationUnderTest _implementation;
    private readonly MemoryMapHost _memoryMap;
    private readonly StepLog _log;

    /// <summary>Creates the host.</summary>
    /// <param name="implementation">The listeners and type1 variant under test.</param>
    /// <param name="memoryMap">The address space listeners register with.</param>
    /// <param name="log">Where step results are written when a report is wanted.</param>
    public DmaHost(ImplementationUnderTest implementation, MemoryMapHost memoryMap, StepLog log)
    {
        _implementation = implementation;
        _memoryMap = memoryMap;
        _log = log;
        Processes = new ProcessTable(implementation.Type1Bug);
    }

    /// <summary>The scenario's processes and RAM blocks.</summary>
    public ProcessTable Processes { get; }

    /// <summary>The registered listeners, by name.</summary>
    public IReadOnlyDictionary<string, ListenerState> Listeners => _listeners;

    /// <summary>The containers, by name.</summary>
    public IReadOnlyDictionary<string, ContainerState> Containers => _containers;

    /// <summary>What the current step did (reset by <see cref="BeginStep"/>).</summary>
    public DmaStepObservation Step { get; private set; } = new();

    /// <summary>The type1 oracle following a container, if one does.</summary>
    /// <param name="container">A container name.</param>
    /// <returns>The oracle or null.</returns>
    public Type1Oracle? ShadowOf(string container) => _shadows.GetValueOrDefault(container);

    /// <summary>Registers a DMA listener on the address space; it is replayed the current view.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="coalescing">The coalescing listener (with <paramref name="plan"/>) rather than QEMU's naive one.</param>
    /// <param name="options">Section rules.</param>
    /// <param name="plan">Granularity of a coalescing listener.</param>
    public void RegisterListener(string name, bool coalescing, DmaOptions options, PlanOptions plan)
    {
        if (_listeners.ContainsKey(name))
        {
            throw new StepException($"a listener named '{name}' exists already");
        }

        IMemoryListener listener = coalescing ? _implementation.CoalescingListener(options, plan) : new NaiveVfioListener(options);
        _listeners.Add(name, new ListenerState(name, listener, options, plan));
        _memoryMap.Topology.Register(listener);
    }

    /// <summary>Creates a container attached to no listener.</summary>
    /// <param name="spec">What to create.</param>
    /// <returns>The container.</returns>
    public ScenarioContainer CreateContainer(ContainerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_containers.ContainsKey(spec.Name))
        {
            throw new StepException($"a container named '{spec.Name}' exists already");
        }

        var backend = ScenarioContainer.Create(spec, Processes);
        _containers.Add(spec.Name, new ContainerState(spec.Name, backend, new ContainerPort(backend)));
        return backend;
    }

    /// <summary>Attaches a container to a listener (a device hot-plugged): the listener replays the current view.</summary>
    /// <param name="container">The container.</param>
    /// <param name="listener">The listener.</param>
    public void Hotplug(string container, string listener)
    {
        var c = ContainerNamed(container);
        var l = ListenerNamed(listener);
        if (c.Listener is not null)
        {
            throw new StepException($"container '{c.Name}' is attached to '{c.Listener.Name}' already");
        }

        c.Listener = l;
        c.JoinedPopulatedView = _memoryMap.View.Count > 0;
        if (l.Listener is IPlanningListener planning)
        {
            planning.AddContainer(c.Port);
        }
        else
        {
            ((NaiveVfioListener)l.Listener).AddContainer(c.Port);
        }

        Step.Converged.Add(c.Name);
        Step.Hotplugged.Add(c.Name);
    }

    /// <summary>Detaches a container from its listener (a device unplugged).</summary>
    /// <param name="container">The container.</param>
    public void Unplug(string container)
    {
        var c = ContainerNamed(container);
        var listener = c.Listener ?? throw new StepException($"container '{c.Name}' is attached to no listener");
        if (listener.Listener is IPlanningListener planning)
        {
            planning.RemoveContainer(c.Port);
        }
        else if (c.Backend.Mappings.Count > 0)
        {
            // The naive listener keeps its containers for good; QEMU closes the container, and the kernel drops
            // every mapping, which the model shows as one unmap-all.
            c.Backend.UnmapAll();
        }

        c.Port.Attached = false;
        c.Listener = null;
        Step.Converged.Add(c.Name);
    }

    /// <summary>A raw MAP/UNMAP on a container, behind any listener's back.</summary>
    /// <param name="container">The container.</param>
    /// <param name="call">The call.</param>
    /// <returns>Its result.</returns>
    public DmaResult Raw(string container, Func<IDmaBackend, DmaResult> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var c = ContainerNamed(container);
        var result = call(c.Backend);
        c.TookRawCalls = true;
        Step.Raw = result;
        return result;
    }

    /// <summary>Declares a process.</summary>
    /// <param name="spec">The process.</param>
    /// <returns>Its host memory model.</returns>
    public HostMemory DeclareProcess(ProcessSpec spec) => Processes.Declare(spec);

    /// <summary>
    /// A direct type1 call (device registration, pin, unpin, raw MAP_DMA / UNMAP_DMA, close): made on the model and,
    /// when an oracle follows the container, on the oracle too; both answers go into <see cref="Step"/>.
    /// </summary>
    /// <param name="container">The container.</param>
    /// <param name="what">The call, for messages.</param>
    /// <param name="call">The call on the model.</param>
    /// <param name="oracleCall">The same call on the oracle.</param>
    /// <returns>The model's result.</returns>
    public Type1Result Type1Call(string container, string what, Func<Type1Container, Type1Result> call, Func<Type1Oracle, Type1Result> oracleCall)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(oracleCall);
        var c = ContainerNamed(container);
        var type1 = c.Backend.Type1 ?? throw new StepException($"container '{container}' is split-capable (bisect: true); only a type1 container takes this call");
        var shadow = Shadow(c);
        int rounds = CallbackRounds(type1);
        var result = c.Backend.Direct(call);
        rounds = CallbackRounds(type1) - rounds;
        c.TookRawCalls = true;
        Step.Type1Raw = result;
        Step.DirectCall = container;
        Step.Raw = result.KernelBug ? null : new DmaResult(result.Error, result.Size);
        if (shadow is not null)
        {
            var expected = oracleCall(shadow);
            Step.ShadowAnswers.Add(new ShadowAnswer(container, what, result.ToString(), expected.ToString(), expected == result));
            Step.Shadowed.Add(container);
        }

        if (_log.Describing)
        {
            _log.Say($"{container}: {result}{(rounds > 0 ? string.Create(CultureInfo.InvariantCulture, $" after {rounds} round(s) of device callbacks") : "")}"
                + (type1.ExternalPins.Count > 0 ? "; external pins " + string.Join(", ", type1.ExternalPins) : ""));
        }

        return result;
    }

    /// <summary>Closes a type1 container (QEMU closing the container fd): every mapping goes, every pin and charge
    /// is returned; an oracle following it closes too.</summary>
    /// <param name="container">The container.</param>
    public void Close(string container)
    {
        var c = ContainerNamed(container);
        var type1 = c.Backend.Type1 ?? throw new StepException($"container '{container}' is split-capable (bisect: true); only a type1 container is closed");
        if (c.Listener is not null)
        {
            throw new StepException($"container '{container}' is attached to '{c.Listener.Name}'; unplug it first");
        }

        c.Backend.Direct(t =>
        {
            t.Close();
            return Type1Result.Ok(0);
        });
        c.TookRawCalls = true;
        _shadows.GetValueOrDefault(container)?.Close();
        Step.Closed.Add(container);
        _log.Say($"{container}: closed; locked_vm of its process {ScenarioNumbers.Format(c.Backend.Process!.LockedVm)}");
    }

    /// <summary>The device reads through the container's first domain, filling its IOTLB.</summary>
    /// <param name="container">The container.</param>
    /// <param name="iova">The address read.</param>
    public void Access(string container, ulong iova)
    {
        var type1 = ContainerNamed(container).Backend.Type1 ?? throw new StepException($"container '{container}' is split-capable (bisect: true); it has no domain");
        if (type1.Domains.Count == 0)
        {
            _log.Say($"{container}: no domain, nothing to read through");
            return;
        }

        var translation = type1.Domains[0].Iotlb.Access(iova);
        if (_log.Describing)
        {
            _log.Say($"{container}: domain0 gives {translation?.ToString() ?? "nothing (fault)"}");
        }
    }

    /// <summary>The host migrates <paramref name="size"/> bytes of a process's memory to fresh physical memory
    /// (refused for pinned pages); the oracles of the process's containers migrate too.</summary>
    /// <param name="process">The process.</param>
    /// <param name="hva">The first page.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="to">The new host physical address.</param>
    /// <returns>The model's answer.</returns>
    public Errno Migrate(string process, ulong hva, ulong size, ulong to)
    {
        var memory = Processes.Processes.TryGetValue(process, out var p) ? p
            : throw new StepException($"no process named '{process}'; declare it with a 'process' step");
        var error = memory.Migrate(hva, size, to);
        Step.Raw = new DmaResult(error, 0);
        Step.Migrated = process;
        foreach (var c in _containers.Values.Where(c => c.Backend.Process == memory && _shadows.ContainsKey(c.Name)).ToList())
        {
            if (size != c.Backend.Type1!.Options.MinPageSize)
            {
                // The oracle migrates one page of the container's size.
                Abandon(c.Name, "a migration of another size than its page");
                continue;
            }

            var expected = _shadows[c.Name].Migrate(hva, to);
            Step.ShadowAnswers.Add(new ShadowAnswer(c.Name, "the migration", Show(error), Show(expected), expected == error));
            Step.Shadowed.Add(c.Name);
        }

        _log.Say($"{process}: {Show(error)}");
        return error;
    }

    /// <summary>Before a transaction: a coalescing listener learns where the new view's region boundaries are.</summary>
    /// <param name="unsimplified">The unsimplified render of the new view.</param>
    public void BeforeTransaction(FlatView unsimplified)
    {
        foreach (var l in _listeners.Values)
        {
            if (l.Listener is IPlanningListener planning)
            {
                planning.UnsimplifiedHint = unsimplified;
            }
        }
    }

    /// <summary>After a transaction every attached container must follow the view.</summary>
    public void AfterTransaction()
    {
        foreach (var c in _containers.Values.Where(c => c.Listener is not null))
        {
            Step.Converged.Add(c.Name);
        }
    }

    /// <summary>Marks a region's RAM block as another device's memory (reserved pfns) when a view shows it as a RAM
    /// device.</summary>
    /// <param name="view">The new view.</param>
    public void MarkDeviceMemory(FlatView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        foreach (var r in view.Ranges.Where(r => r.Kind == Verify.MemoryMap.Regions.RegionKind.RamDevice))
        {
            Processes.MarkDeviceMemory(r.Region);
        }
    }

    /// <summary>Snapshots every container before a step, so the step's own ioctls and collateral can be measured.</summary>
    public void BeginStep()
    {
        Step = _containers.Count == 0 && Step.IsEmpty ? Step : new DmaStepObservation();
        foreach (var c in _containers.Values)
        {
            c.DivergedBefore = c.Diverged;
            Step.Before[c.Name] = new ContainerBefore([.. c.Backend.Mappings], c.Backend.Calls.Count, (c.Listener?.Listener as IPlanningListener)?.Failures.Count ?? 0);
        }
    }

    /// <summary>Measures what the step did to each container, and notes a container QEMU would have aborted on.</summary>
    /// <param name="transaction">The step's transaction, if it was one.</param>
    public void EndStep(TransactionObservation? transaction)
    {
        foreach (var c in _containers.Values)
        {
            var before = Step.Before.GetValueOrDefault(c.Name) ?? ContainerBefore.Empty;
            int calls = c.Backend.Calls.Count - before.Calls;
            var effect = new ContainerEffect(c.Name, calls, 0);
            if (calls > 0)
            {
                var operations = c.Backend.Calls.Skip(before.Calls).Select(x => x.Operation).ToList();
                var backend = c.Backend;
                effect = new ContainerEffect(c.Name, calls, () =>
                {
                    // Cut at both host page sizes the listeners support: a section's mapped interior ends at either rounding.
                    IReadOnlyList<UInt128> cuts = transaction is { } t
                        ? new[] { 0x1000UL, 0x1_0000UL }.SelectMany(p => CollateralOracle.Boundaries(t.Old, p).Concat(CollateralOracle.Boundaries(t.New, p))).ToList()
                        : [];
                    var measured = CollateralOracle.Measure(before.Mappings, operations,
                        a => DmaVisibilityOracle.Lookup(before.Mappings, a), a => DmaVisibilityOracle.Lookup(backend.Mappings, a), backend.Traits, cuts);
                    return (measured, cuts);
                });
                if (_log.Describing)
                {
                    _log.Say($"{c.Name}: {calls} ioctl(s), collateral {ScenarioNumbers.Format(effect.Collateral)} bytes");
                    foreach (var call in c.Backend.Calls.Skip(before.Calls))
                    {
                        _log.Say($"  {call}");
                    }
                }
            }

            var issued = c.Backend.Calls.Skip(before.Calls).ToList();
            if (c.Listener?.Listener is NaiveVfioListener && issued.FirstOrDefault(x => !x.Result.Succeeded) is { Operation: not null } failed)
            {
                // QEMU aborts when a MAP fails at run time; the naive listener models QEMU, so this is what QEMU would
                // do, and the container is no longer expected to match the view.
                _log.Say($"{c.Name}: QEMU would abort here: {failed}");
                c.Diverged = true;
            }

            if (c.Listener?.Listener is IPlanningListener && issued.FirstOrDefault(x => IsHostRefusal(x.Result)) is { Operation: not null } refusedByHost)
            {
                // The process's memlock limit (or a region without host memory) is the host's answer, not a wrong
                // plan: QEMU would abort as it does for the naive listener.
                _log.Say($"{c.Name}: QEMU would abort here: {refusedByHost}");
                c.Diverged = true;
            }

            if (c.Listener?.Listener is IPlanningListener owner && Step.Converged.Contains(c.Name)
                && owner.LastPlans.TryGetValue(c.Port, out var refused) && refused.ExceedsEntryLimit && _log.Describing)
            {
                _log.Say($"{c.Name}: plan refused, it would exceed the entry limit ({refused.PeakLiveMappings} live mappings)");
            }

            Step.Effects[c.Name] = effect;
        }
    }

    /// <summary>Whether a refusal is the host's (memory limit, no host memory) rather than a listener's mistake.</summary>
    /// <param name="result">A call's result.</param>
    /// <returns>Whether it is ENOMEM or EFAULT.</returns>
    public static bool IsHostRefusal(DmaResult result) => result.Error is Errno.ENOMEM or Errno.EFAULT;

    /// <summary>The container named <paramref name="name"/>.</summary>
    /// <param name="name">A name.</param>
    /// <returns>Its state.</returns>
    public ContainerState ContainerNamed(string name) =>
        _containers.TryGetValue(name, out var c) ? c : throw new StepException($"no container named '{name}'; create it with a 'container' step");

    private ListenerState ListenerNamed(string name) =>
        _listeners.TryGetValue(name, out var l) ? l : throw new StepException($"no listener named '{name}'; register it with a 'listener' step");

    private static int CallbackRounds(Type1Container type1) => type1.Steps.Count(x => x.Kind == Type1StepKind.DeviceCallback);

    private static string Show(Errno errno) => errno == Errno.None ? "none" : errno.ToString();

    // The oracle follows a container from its first call, while it is the only container of a process whose memory
    // the scenario declared and every call it takes comes through here.
    private Type1Oracle? Shadow(ContainerState c)
    {
        bool first = _calledDirectly.Add(c.Name);
        var process = c.Backend.Process!;
        bool alone = _containers.Values.Count(o => o.Backend.Process == process) == 1;
        if (first)
        {
            if (alone && c.Backend.Calls.Count == 0 && Processes.Processes.FirstOrDefault(p => p.Value == process).Key is { } owner && Processes.HasOwnMemory(owner))
            {
                var type1 = c.Backend.Type1!;
                _shadows[c.Name] = new Type1Oracle(type1.Options with { Bug = Type1Bug.None }, type1.Domains.Count > 0, process.VirtualRuns, process.ReservedRanges,
                    process.RlimitMemlock, process.CapIpcLock, process.LockedVm);
            }

            return _shadows.GetValueOrDefault(c.Name);
        }

        if (!_shadows.TryGetValue(c.Name, out var shadow))
        {
            return null;
        }

        if (c.Backend.Calls.Count != 0 || !alone)
        {
            Abandon(c.Name, c.Backend.Calls.Count != 0 ? "it took a call the oracle did not see" : "another container shares its process");
            return null;
        }

        return shadow;
    }

    private void Abandon(string name, string why)
    {
        _shadows.Remove(name);
        _log.Say($"{name}: no longer checked against the type1 oracle: {why}");
    }
}

/// <summary>A registered DMA listener.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Listener">The listener (QEMU's naive one, or an <see cref="IPlanningListener"/>).</param>
/// <param name="Options">Its section rules.</param>
/// <param name="Plan">A coalescing listener's granularity.</param>
public sealed record ListenerState(string Name, IMemoryListener Listener, DmaOptions Options, PlanOptions Plan);

/// <summary>A container: the model backend, the port its listener drives, and where it is attached.</summary>
public sealed class ContainerState
{
    internal ContainerState(string name, ScenarioContainer backend, ContainerPort port)
    {
        Name = name;
        Backend = backend;
        Port = port;
    }

    /// <summary>The container's name.</summary>
    public string Name { get; }

    /// <summary>The backend.</summary>
    public ScenarioContainer Backend { get; }

    /// <summary>The backend as its listener sees it.</summary>
    public ContainerPort Port { get; }

    /// <summary>The listener it is attached to, or null.</summary>
    public ListenerState? Listener { get; internal set; }

    /// <summary>Raw calls put mappings behind the listener's back; from then on convergence is the scenario's business.</summary>
    public bool TookRawCalls { get; internal set; }

    /// <summary>A container whose ioctl the host refused (QEMU would have aborted) no longer follows the view.</summary>
    public bool Diverged { get; internal set; }

    /// <summary><see cref="Diverged"/> as it was when the current step began.</summary>
    public bool DivergedBefore { get; internal set; }

    /// <summary>Whether it was hot-plugged into a view that already had ranges (DL-05's late joiner).</summary>
    public bool JoinedPopulatedView { get; internal set; }
}

/// <summary>A container's state when a step began.</summary>
/// <param name="Mappings">Its live mappings.</param>
/// <param name="Calls">How many calls it had received.</param>
/// <param name="Failures">How many of its listener's ioctls had been refused.</param>
public sealed record ContainerBefore(IReadOnlyList<DmaMapping> Mappings, int Calls, int Failures)
{
    /// <summary>A container created during the step.</summary>
    public static ContainerBefore Empty { get; } = new([], 0, 0);
}

/// <summary>What one step did to one container. The collateral is measured by the oracle on first use: only the
/// checks and expectations that judge collateral pay for it. It is read during the step it describes.</summary>
public sealed class ContainerEffect
{
    private readonly Lazy<(CollateralOracle.Execution? Measured, IReadOnlyList<UInt128> Cuts)> _measure;

    /// <summary>An effect whose collateral is known.</summary>
    /// <param name="name">The container.</param>
    /// <param name="ioctls">Calls it received.</param>
    /// <param name="collateral">Bytes whose translation was the same before and after but were unmapped in between.</param>
    public ContainerEffect(string name, int ioctls, UInt128 collateral)
        : this(name, ioctls, () => (null, []))
    {
        _collateral = collateral;
    }

    /// <summary>An effect the oracle measures when first asked.</summary>
    /// <param name="name">The container.</param>
    /// <param name="ioctls">Calls it received.</param>
    /// <param name="measure">Measures the step's calls and says where the views cut the space.</param>
    public ContainerEffect(string name, int ioctls, Func<(CollateralOracle.Execution? Measured, IReadOnlyList<UInt128> Cuts)> measure)
    {
        Name = name;
        Ioctls = ioctls;
        _measure = new(measure, LazyThreadSafetyMode.None);
    }

    private readonly UInt128 _collateral;

    /// <summary>The container.</summary>
    public string Name { get; }

    /// <summary>Calls it received.</summary>
    public int Ioctls { get; }

    /// <summary>Bytes whose translation was the same before and after but were unmapped in between.</summary>
    public UInt128 Collateral => Measured?.CollateralBytes ?? _collateral;

    /// <summary>The oracle's account of executing the step's calls, when there were any.</summary>
    public CollateralOracle.Execution? Measured => _measure.Value.Measured;

    /// <summary>Where the views cut the space (both host page roundings), when the step was a transaction.</summary>
    public IReadOnlyList<UInt128> Cuts => _measure.Value.Cuts;
}

/// <summary>A call the type1 oracle answered too.</summary>
/// <param name="Container">The container.</param>
/// <param name="Call">What was called.</param>
/// <param name="Model">The model's answer.</param>
/// <param name="Oracle">The oracle's answer.</param>
/// <param name="Agrees">Whether they are the same.</param>
public sealed record ShadowAnswer(string Container, string Call, string Model, string Oracle, bool Agrees);

/// <summary>What the current step did on the DMA side.</summary>
public sealed class DmaStepObservation
{
    /// <summary>Each container's state before the step.</summary>
    public Dictionary<string, ContainerBefore> Before { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the step did nothing on the DMA side (so the observation can serve the next step too).</summary>
    internal bool IsEmpty => Before.Count == 0 && Converged.Count == 0 && Hotplugged.Count == 0 && Effects.Count == 0 && Raw is null && Type1Raw is null
        && ShadowAnswers.Count == 0 && Shadowed.Count == 0 && Closed.Count == 0 && DirectCall is null && Migrated is null;

    /// <summary>Containers that must follow the view after the step (a transaction, hotplug or unplug touched them).</summary>
    public HashSet<string> Converged { get; } = new(StringComparer.Ordinal);

    /// <summary>Containers hot-plugged by the step.</summary>
    public HashSet<string> Hotplugged { get; } = new(StringComparer.Ordinal);

    /// <summary>What the step did to each container.</summary>
    public Dictionary<string, ContainerEffect> Effects { get; } = new(StringComparer.Ordinal);

    /// <summary>The result of the step's raw call, if it made one.</summary>
    public DmaResult? Raw { get; internal set; }

    /// <summary>The full result of the step's direct type1 call, if it made one.</summary>
    public Type1Result? Type1Raw { get; internal set; }

    /// <summary>The container the step's direct type1 call went to, if it made one.</summary>
    public string? DirectCall { get; internal set; }

    /// <summary>The process the step migrated memory of, if it did.</summary>
    public string? Migrated { get; internal set; }

    /// <summary>The calls a type1 oracle answered too.</summary>
    public List<ShadowAnswer> ShadowAnswers { get; } = [];

    /// <summary>Containers the step closed.</summary>
    public HashSet<string> Closed { get; } = new(StringComparer.Ordinal);

    /// <summary>Containers whose oracle took the step's call (their pins and charge are then comparable).</summary>
    public HashSet<string> Shadowed { get; } = new(StringComparer.Ordinal);
}

/// <summary>The backend as a listener sees it. The naive listener cannot forget a container, so after an unplug its
/// calls stop here instead of reaching a container that no longer belongs to a device.</summary>
/// <param name="backend">The container.</param>
public sealed class ContainerPort(ScenarioContainer backend) : IDmaBackend
{
    /// <summary>Whether the container still belongs to a device.</summary>
    public bool Attached { get; internal set; } = true;

    /// <inheritdoc/>
    public string Name => backend.Name;

    /// <inheritdoc/>
    public DmaBackendTraits Traits => backend.Traits;

    /// <inheritdoc/>
    public IReadOnlyList<DmaMapping> Mappings => backend.Mappings;

    /// <inheritdoc/>
    public DmaResult Map(in DmaMapping mapping) => Attached ? backend.Map(mapping) : DmaResult.Ok(0);

    /// <inheritdoc/>
    public DmaResult Unmap(AddressRange iova) => Attached ? backend.Unmap(iova) : DmaResult.Ok(0);

    /// <inheritdoc/>
    public DmaResult UnmapAll() => Attached ? backend.UnmapAll() : DmaResult.Ok(0);
}
