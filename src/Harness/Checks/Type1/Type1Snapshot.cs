using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Checks.Type1;

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
