using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap.Dma;
using Verify.Oracle.Type1;

namespace Verify.Harness.Generators.Type1;

/// <summary>Everything observable about a container and its process at one moment: mappings, pin runs,
/// charge, and every domain's leaves. Two snapshots are equal when nothing observable changed.</summary>
/// <param name="Mappings">Live mappings.</param>
/// <param name="Pins">Pinned physical runs.</param>
/// <param name="LockedVm">The process's charge.</param>
/// <param name="Leaves">Leaves per domain, in domain order.</param>
/// <param name="ExternalPins">The external pin table with its reference counts.</param>
/// <param name="VirtualRuns">The process's virtual -> physical backing (what a migration changes).</param>
public sealed record Type1Snapshot(IReadOnlyList<Type1Mapping> Mappings, IReadOnlyList<PinRun> Pins, ulong LockedVm, IReadOnlyList<IReadOnlyList<PageTableLeaf>> Leaves,
    IReadOnlyList<Type1ExternalPin> ExternalPins, IReadOnlyList<VirtualRun> VirtualRuns)
{
    /// <summary>Takes a snapshot.</summary>
    /// <param name="container">The container.</param>
    /// <returns>The snapshot.</returns>
    public static Type1Snapshot Of(Type1Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return new([.. container.Type1Mappings], [.. container.Host.PinnedRuns], container.Host.LockedVm,
            [.. container.Domains.Select(d => (IReadOnlyList<PageTableLeaf>)[.. d.Leaves()])], container.ExternalPins, [.. container.Host.VirtualRuns]);
    }

    /// <summary>What differs from <paramref name="other"/>, or an empty string.</summary>
    /// <param name="other">The later snapshot.</param>
    /// <returns>A sentence per difference.</returns>
    public string DifferenceFrom(Type1Snapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var diffs = new List<string>();
        if (!Mappings.SequenceEqual(other.Mappings))
        {
            diffs.Add($"mappings {string.Join(", ", Mappings)} became {string.Join(", ", other.Mappings)}");
        }

        if (!Pins.SequenceEqual(other.Pins))
        {
            diffs.Add($"pins {string.Join(", ", Pins)} became {string.Join(", ", other.Pins)}");
        }

        if (!ExternalPins.SequenceEqual(other.ExternalPins))
        {
            diffs.Add($"external pins {string.Join(", ", ExternalPins)} became {string.Join(", ", other.ExternalPins)}");
        }

        if (!VirtualRuns.SequenceEqual(other.VirtualRuns))
        {
            diffs.Add($"host memory {string.Join(", ", VirtualRuns)} became {string.Join(", ", other.VirtualRuns)}");
        }

        if (LockedVm != other.LockedVm)
        {
            diffs.Add($"locked_vm 0x{LockedVm:x} became 0x{other.LockedVm:x}");
        }

        for (int d = 0; d < Leaves.Count; d++)
        {
            if (!Leaves[d].SequenceEqual(other.Leaves[d]))
            {
                diffs.Add($"domain{d} had {Leaves[d].Count} leaves and now has {other.Leaves[d].Count}");
            }
        }

        return string.Join("; ", diffs);
    }
}

/// <summary>A model container and the oracle built from one <see cref="Type1Case"/>, driven call by call.</summary>
public sealed class Type1Rig
{
    /// <summary>Builds the model (a fresh process and container) and the oracle for <paramref name="c"/>.</summary>
    /// <param name="c">The case.</param>
    /// <param name="options">Options replacing the case's (to run another variant), or null.</param>
    public Type1Rig(Type1Case c, Type1Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        var used = c with { Options = options ?? c.Options };
        Host = used.Host.Build(used.Options.Bug == Type1Bug.MigratesPinnedPages);
        Container = new Type1Container("container0", used.Options, Host, RamBlocks.Empty, used.Domains);
        Oracle = NewOracle(used);
    }

    /// <summary>The process model.</summary>
    public HostMemory Host { get; }

    /// <summary>The container model.</summary>
    public Type1Container Container { get; }

    /// <summary>The oracle.</summary>
    public Type1Oracle Oracle { get; }

    /// <summary>A fresh oracle for <paramref name="c"/>.</summary>
    /// <param name="c">The case.</param>
    /// <returns>The oracle.</returns>
    public static Type1Oracle NewOracle(Type1Case c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new Type1Oracle(c.Options, !c.Domains.IsEmpty, c.Host.VirtualRuns, c.Host.Reserved, c.Host.RlimitMemlock, c.Host.CapIpcLock, 0);
    }

    /// <summary>Applies <paramref name="op"/> to an oracle.</summary>
    /// <param name="oracle">The oracle.</param>
    /// <param name="op">The call.</param>
    /// <returns>Its result, or null for a device access (the oracle has no IOTLB).</returns>
    public static Type1Result? ApplyTo(Type1Oracle oracle, Type1Op op)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        return op switch
        {
            MapDmaOp m => oracle.Map(m.Flags, m.Iova, m.Vaddr, m.Size),
            UnmapDmaOp u => oracle.Unmap(u.Flags, u.Iova, u.Size),
            RegisterDeviceOp r => Type1Result.Fail(oracle.RegisterDevice(r.Device, r.Callback)),
            PinPagesOp p => oracle.Pin(p.Device, p.Iova, p.Npage, p.Prot),
            UnpinPagesOp u => oracle.Unpin(u.Device, u.Iova, u.Npage),
            MigrateOp g => Type1Result.Fail(oracle.Migrate(g.Hva, g.NewHpa)),
            _ => null,
        };
    }

    /// <summary>Applies <paramref name="op"/> to the model.</summary>
    /// <param name="op">The call.</param>
    /// <returns>Its result, or null for a device access. Registration and migration report their errno only.</returns>
    public Type1Result? ApplyToModel(Type1Op op)
    {
        switch (op)
        {
            case RegisterDeviceOp r:
                return Type1Result.Fail(Container.RegisterDevice(r.Device, r.Callback));
            case PinPagesOp p:
                return Container.PinPages(p.Device, p.Iova, p.Npage, p.Prot);
            case UnpinPagesOp u:
                return Container.UnpinPages(u.Device, u.Iova, u.Npage);
            case MigrateOp g:
                return Type1Result.Fail(Host.Migrate(g.Hva, Container.Options.MinPageSize, g.NewHpa));
            case MapDmaOp m:
                return Container.MapDma(m.Flags, m.Iova, m.Vaddr, m.Size);
            case UnmapDmaOp u:
                return Container.UnmapDma(u.Flags, u.Iova, u.Size);
            case DeviceAccessOp a:
                if (Container.Domains.Count > 0)
                {
                    Container.Domains[0].Iotlb.Access(a.Iova);
                }

                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "should be a step a Type1Case holds");
        }
    }

    /// <summary>Pin counts per page of <paramref name="pageSize"/> from the model's runs (bounded cases only).</summary>
    /// <param name="pageSize">Page size.</param>
    /// <returns>Physical page -> count.</returns>
    public Dictionary<ulong, int> ModelPinsByPage(ulong pageSize)
    {
        var pins = new Dictionary<ulong, int>();
        foreach (var run in Host.PinnedRuns)
        {
            for (ulong k = 0; k < run.Size / pageSize; k++)
            {
                pins[run.Hpa + (k * pageSize)] = run.Count;
            }
        }

        return pins;
    }
}
