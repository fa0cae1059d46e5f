using Verify.IommuModel.Host;
using Verify.Oracle.Host;

namespace Verify.Oracle.Type1;

/// <summary>
/// The accounting rule of docs/semantics.md 5.3-5.4 for one process: the pinned memory is the non-reserved memory behind
/// the live mappings of its containers that have an IOMMU domain, plus every page an mdev pinned; per-mapping
/// accounting charges each mapping's memory (and, without a domain, each external pin) again, shared accounting
/// charges each page once.
/// </summary>
public static class Type1Accounting
{
    /// <summary>The pins and charges a process should have.</summary>
    /// <param name="memory">The process's declared memory.</param>
    /// <param name="pinningMappings">Host ranges of the live mappings of containers with a domain.</param>
    /// <param name="externalPins">Pages mdevs pinned: physical address, size, and whether the pin charges apart
    /// (its container has no domain).</param>
    /// <returns>The pinned ranges (merged) and the per-mapping charge.</returns>
    public static (List<(UInt128 Start, UInt128 End)> Pins, UInt128 PerMappingCharge) Expected(
        DeclaredMemory memory, IEnumerable<(ulong Vaddr, ulong Size)> pinningMappings, IEnumerable<(ulong Hpa, ulong Size, bool Charged)> externalPins)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(pinningMappings);
        ArgumentNullException.ThrowIfNull(externalPins);
        var behind = new List<(UInt128 Start, UInt128 End)>();
        UInt128 perMapping = 0;
        foreach (var (vaddr, size) in pinningMappings)
        {
            memory.Resolve(vaddr, size, out var pieces);
            foreach (var p in pieces.Where(p => !p.Reserved))
            {
                behind.Add((p.Hpa, p.Hpa + p.Size));
                perMapping += p.Size;
            }
        }

        foreach (var (hpa, size, charged) in externalPins.Where(p => !memory.IsReserved(p.Hpa)))
        {
            behind.Add((hpa, (UInt128)hpa + size));
            perMapping += charged ? size : 0;
        }

        return (Union(behind), perMapping);
    }

    /// <summary>Merges overlapping or touching ranges.</summary>
    /// <param name="ranges">Ranges in any order.</param>
    /// <returns>The union, ascending.</returns>
    public static List<(UInt128 Start, UInt128 End)> Union(IEnumerable<(UInt128 Start, UInt128 End)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var merged = new List<(UInt128 Start, UInt128 End)>();
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && merged[^1].End >= r.Start)
            {
                merged[^1] = (merged[^1].Start, UInt128.Max(merged[^1].End, r.End));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    /// <summary>The total size of some ranges.</summary>
    /// <param name="ranges">Disjoint ranges.</param>
    /// <returns>Their bytes.</returns>
    public static UInt128 Total(IEnumerable<(UInt128 Start, UInt128 End)> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        UInt128 total = 0;
        foreach (var (start, end) in ranges)
        {
            total += end - start;
        }

        return total;
    }
}
