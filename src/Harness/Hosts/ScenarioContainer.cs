using Verify.IommuModel.Backends;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.Oracle.Type1;
using Verify.Vfio;

namespace Verify.Harness.Hosts;

/// <summary>
/// A container a <c>container</c> step created, as listeners drive it and the runner inspects it: a
/// <see cref="Type1Container"/> in one of the scenario's processes, or (<c>bisect: true</c>) the split-capable
/// <see cref="MappingSetBackend"/>. Every call is recorded with its result; a type1 call also with the host
/// virtual address it used and the process's charge before it, so the runner can say what the kernel's rules give.
/// </summary>
/// <remarks>A type1 listener mapping becomes MAP_DMA of READ (+WRITE) at the host address the
/// <see cref="ProcessTable"/> gives its region and offset; the mappings are shown back with the region and offset
/// they were made from (a type1 mapping is never cut, so each live mapping is exactly one earlier MAP). Not
/// thread-safe.</remarks>
public sealed class ScenarioContainer : IDmaBackend
{
    private readonly MappingSetBackend? _splitCapable;
    private readonly ProcessTable? _host;
    private readonly List<ApiCall> _calls = [];
    private readonly List<Type1CallFacts> _type1Calls = [];
    private readonly Dictionary<ulong, DmaMapping> _madeFrom = [];
    private List<DmaMapping>? _mappings;

    private ScenarioContainer(ContainerSpec step, MappingSetBackend? splitCapable, Type1Container? type1, ProcessTable? host, HostMemory? process)
    {
        Spec = step;
        _splitCapable = splitCapable;
        Type1 = type1;
        _host = host;
        Process = process;
    }

    /// <summary>The step that created it.</summary>
    public ContainerSpec Spec { get; }

    /// <summary>The type1 model, or null for the split-capable backend.</summary>
    public Type1Container? Type1 { get; }

    /// <summary>The process a type1 container pins and charges in.</summary>
    public HostMemory? Process { get; }

    /// <inheritdoc/>
    public string Name => Spec.Name;

    /// <inheritdoc/>
    public DmaBackendTraits Traits => Spec.Traits;

    /// <summary>Every call with its result, oldest first.</summary>
    public IReadOnlyList<ApiCall> Calls => _splitCapable?.Calls ?? _calls;

    /// <summary>The type1 calls with what the kernel saw, parallel to <see cref="Calls"/> (empty for the
    /// split-capable backend).</summary>
    public IReadOnlyList<Type1CallFacts> Type1Calls => _type1Calls;

    /// <inheritdoc/>
    public IReadOnlyList<DmaMapping> Mappings => _splitCapable?.Mappings ?? (_mappings ??= [.. Type1!.Type1Mappings.Select(ShownAs)]);

    /// <summary>Runs a type1 call the listener interface has no word for (pins, raw MAP_DMA/UNMAP_DMA at host
    /// addresses, devices): the container's mappings are read afresh afterwards.</summary>
    /// <param name="call">The call.</param>
    /// <returns>Its result.</returns>
    public Type1Result Direct(Func<Type1Container, Type1Result> call)
    {
        var result = call(Type1!);
        _mappings = null;
        Forget();
        return result;
    }

    // A mapping a raw MAP_DMA made at a host address has no region: it shows as region 'hva' at offset vaddr, as
    // Type1Container shows a vaddr outside its RAM blocks.
    private DmaMapping ShownAs(Type1Mapping m) => _madeFrom.TryGetValue(m.Iova, out var made) ? made
        : new DmaMapping(new AddressRange(m.Iova, m.Size), "hva", m.Vaddr, (m.Flags & Type1MapFlags.Write) != 0);

    /// <summary>Creates the container a step asks for.</summary>
    /// <param name="step">The step.</param>
    /// <param name="host">The scenario's host (processes and RAM blocks).</param>
    /// <returns>The container.</returns>
    public static ScenarioContainer Create(ContainerSpec step, ProcessTable host)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(host);
        if (step.Type1 is not { } options)
        {
            return new ScenarioContainer(step, new MappingSetBackend(step.Name, step.Traits), null, null, null);
        }

        var process = host.Process(step.Process);
        var type1 = new Type1Container(step.Name, options with { Bug = host.Type1Bug }, process, host.Blocks, step.Domains);
        return new ScenarioContainer(step, null, type1, host, process);
    }

    /// <inheritdoc/>
    public DmaResult Map(in DmaMapping mapping)
    {
        if (_splitCapable is not null)
        {
            return _splitCapable.Map(mapping);
        }

        ulong vaddr = _host!.Hva(mapping.Region, mapping.Offset);
        var flags = Type1MapFlags.Read | (mapping.Writable ? Type1MapFlags.Write : Type1MapFlags.None);
        ulong lockedBefore = Process!.LockedVm;
        // Only shared accounting asks what was pinned already, and the count walks every pinned run.
        ulong pinnedBefore = mapping.Iova.Size > ulong.MaxValue || Type1!.Options.Accounting != AccountingMode.Shared
            ? 0 : PinnedBytes(Process, vaddr, (ulong)mapping.Iova.Size);

        // MAP_DMA's size is 64 bits: a 2^64 mapping cannot be asked for, and the kernel sees size 0.
        var result = Type1!.MapDma(flags, mapping.Iova.Start, vaddr, mapping.Iova.Size > ulong.MaxValue ? 0 : (ulong)mapping.Iova.Size).ToDmaResult();
        if (result.Succeeded)
        {
            _madeFrom[mapping.Iova.Start] = mapping;
        }

        return Record(new DmaOperation.Map(mapping), result, vaddr, lockedBefore, pinnedBefore);
    }

    /// <inheritdoc/>
    public DmaResult Unmap(AddressRange iova) => _splitCapable?.Unmap(iova)
        ?? Record(new DmaOperation.Unmap(iova), Type1!.Unmap(iova), 0, Process!.LockedVm, 0);

    /// <inheritdoc/>
    public DmaResult UnmapAll() => _splitCapable?.UnmapAll()
        ?? Record(new DmaOperation.UnmapAll(), Type1!.UnmapAll(), 0, Process!.LockedVm, 0);

    /// <summary>Bytes of the memory behind <c>[vaddr, vaddr + size)</c> that are pinned already (what a shared
    /// charge does not charge again).</summary>
    private static ulong PinnedBytes(HostMemory process, ulong vaddr, ulong size)
    {
        process.Resolve(vaddr, size, out var segments);
        ulong total = 0;
        foreach (var segment in segments)
        {
            UInt128 end = (UInt128)segment.Hpa + segment.Size;
            foreach (var run in process.PinnedRuns)
            {
                UInt128 from = UInt128.Max(segment.Hpa, run.Hpa), to = UInt128.Min(end, run.End);
                total += to > from ? (ulong)(to - from) : 0;
            }
        }

        return total;
    }

    private DmaResult Record(DmaOperation operation, DmaResult result, ulong vaddr, ulong lockedBefore, ulong pinnedBefore)
    {
        _calls.Add(new ApiCall(operation, result));
        _type1Calls.Add(new Type1CallFacts(vaddr, lockedBefore, pinnedBefore));
        if (result.Succeeded)
        {
            _mappings = null;
            if (operation is not DmaOperation.Map)
            {
                Forget(); // a MAP removes no mapping, so only an unmap leaves stale origins
            }
        }

        return result;
    }

    // An unmap removed mappings: forget where they came from.
    private void Forget()
    {
        var live = Type1!.Type1Mappings.Select(m => m.Iova).ToHashSet();
        foreach (var iova in _madeFrom.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _madeFrom.Remove(iova);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Type1?.ToString() ?? _splitCapable!.ToString();
}
