using Verify.IommuModel.Host;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Hosts;

/// <summary>
/// The host a scenario's type1 containers run on: its processes (each a <see cref="HostMemory"/> with its own
/// <c>RLIMIT_MEMLOCK</c>, <c>locked_vm</c> and pins) and where QEMU's RAM blocks live. Every region a container is
/// asked to map gets a RAM block on first use, in that order: region k at host virtual
/// <c>0x7f00_0000_0000 + k * 2 TiB</c>, 1 TiB long and backed by host physical <c>4 GiB + k * 1 TiB</c> in every
/// process, so the same region mapped by two containers pins the same pages.
/// </summary>
/// <remarks>
/// <para>A region the view shows as a RAM device (another device's BAR) is device memory: its block is reserved
/// physical memory, which pinning neither counts nor charges (docs/semantics.md 5.3).</para>
/// <para>A process whose <c>process</c> step declares its <c>memory</c> is exactly that memory (for raw calls at host
/// addresses, as a generated T1 case makes them): no RAM block ever backs it, so a listener's mapping into it faults.</para>
/// <para>The free TiB after each block is a hole, so a mapping that runs past its region's block faults
/// (EFAULT) instead of pinning the next region's memory. At most <see cref="MaxBlocks"/> regions (physical
/// addresses stay below 2^52, the page tables' output width). Not thread-safe.</para>
/// </remarks>
public sealed class ProcessTable
{
    /// <summary>Bytes of one RAM block.</summary>
    public const ulong BlockSize = 1UL << 40;

    /// <summary>Most RAM blocks a scenario can have.</summary>
    public const int MaxBlocks = 4000;

    private const ulong HvaBase = 0x7f00_0000_0000;
    private const ulong HpaBase = 1UL << 32;
    private readonly Dictionary<string, HostMemory> _processes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _hva = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deviceMemory = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ownMemory = new(StringComparer.Ordinal);

    /// <summary>Creates a host.</summary>
    /// <param name="type1Bug">A deliberate type1 bug every container (and, for <see cref="Type1Bug.MigratesPinnedPages"/>,
    /// every process) carries: a run option, never part of a file.</param>
    internal ProcessTable(Type1Bug type1Bug = Type1Bug.None) => Type1Bug = type1Bug;

    /// <summary>The deliberate bug the host's containers carry (<see cref="Type1Bug.None"/> normally).</summary>
    internal Type1Bug Type1Bug { get; }

    /// <summary>Whether a process's memory is the one its <c>process</c> step declared (no RAM blocks).</summary>
    /// <param name="name">The process.</param>
    /// <returns>Whether it declared its own memory.</returns>
    public bool HasOwnMemory(string name) => _ownMemory.Contains(name);

    /// <summary>The RAM blocks handed out so far.</summary>
    public RamBlocks Blocks { get; private set; } = RamBlocks.Empty;

    /// <summary>The processes, by name.</summary>
    public IReadOnlyDictionary<string, HostMemory> Processes => _processes;

    /// <summary>Declares a process.</summary>
    /// <param name="step">Its name and limits.</param>
    /// <exception cref="InvalidOperationException">A process of that name exists.</exception>
    public HostMemory Declare(ProcessSpec step)
    {
        if (_processes.ContainsKey(step.Name))
        {
            throw new InvalidOperationException($"a process named '{step.Name}' exists already; declare a process before its first container");
        }

        HostMemory process;
        if (step.HasOwnMemory)
        {
            // A declared memory is the whole process: RAM blocks handed out to listeners never back it.
            process = NewProcess();
            foreach (var run in step.Memory)
            {
                process.AddVirtualRange(run.Hva, run.Size, run.Hpa);
            }

            foreach (var r in step.Reserved)
            {
                process.AddReservedRange(r.Hpa, r.Size);
            }

            _processes.Add(step.Name, process);
            _ownMemory.Add(step.Name);
        }
        else
        {
            process = Process(step.Name);
        }

        process.RlimitMemlock = step.Rlimit ?? ulong.MaxValue;
        process.CapIpcLock = step.CapIpcLock;
        return process;
    }

    /// <summary>The named process, created unlimited if it does not exist yet.</summary>
    /// <param name="name">The process.</param>
    /// <returns>Its memory.</returns>
    public HostMemory Process(string name)
    {
        if (!_processes.TryGetValue(name, out var process))
        {
            process = NewProcess();
            foreach (var (region, hva) in _hva)
            {
                Back(process, region, hva);
            }

            _processes.Add(name, process);
        }

        return process;
    }

    /// <summary>The host virtual address of <paramref name="offset"/> in <paramref name="region"/>, giving the region
    /// a RAM block first if it has none. Wraps like the C pointer arithmetic it models.</summary>
    /// <param name="region">The region.</param>
    /// <param name="offset">Offset in it.</param>
    /// <returns>The address.</returns>
    /// <exception cref="InvalidOperationException">More than <see cref="MaxBlocks"/> regions.</exception>
    public ulong Hva(string region, ulong offset)
    {
        if (!_hva.TryGetValue(region, out ulong hva))
        {
            if (_hva.Count >= MaxBlocks)
            {
                throw new InvalidOperationException($"more than {MaxBlocks} RAM regions; the scenario host has no room for '{region}'");
            }

            hva = HvaBase + ((ulong)_hva.Count * 2 * BlockSize);
            _hva.Add(region, hva);
            Blocks = Blocks.With(region, hva, BlockSize);
            foreach (var (name, process) in _processes)
            {
                if (!_ownMemory.Contains(name))
                {
                    Back(process, region, hva);
                }
            }
        }

        return unchecked(hva + offset);
    }

    /// <summary>Marks a region as device memory (a BAR mapped into the process): its block, now or when it gets
    /// one, is reserved.</summary>
    /// <param name="region">The region.</param>
    public void MarkDeviceMemory(string region)
    {
        if (!_deviceMemory.Add(region) || !_hva.TryGetValue(region, out ulong hva))
        {
            return;
        }

        foreach (var (name, process) in _processes)
        {
            if (!_ownMemory.Contains(name))
            {
                process.AddReservedRange(HpaOf(hva), BlockSize);
            }
        }
    }

    private HostMemory NewProcess() => new() { MigratesPinnedPages = Type1Bug == Type1Bug.MigratesPinnedPages };

    private void Back(HostMemory process, string region, ulong hva)
    {
        process.AddVirtualRange(hva, BlockSize, HpaOf(hva));
        if (_deviceMemory.Contains(region))
        {
            process.AddReservedRange(HpaOf(hva), BlockSize);
        }
    }

    private static ulong HpaOf(ulong hva) => HpaBase + ((hva - HvaBase) / 2);
}
