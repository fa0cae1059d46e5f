using System.Collections.Immutable;
using Verify.Harness.Layouts;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Generators.Dma;

/// <summary>
/// The containers a <see cref="DmaCase"/>'s listeners drive. On a realistic machine with a type1 backend they are
/// real <see cref="Type1Container"/>s: one QEMU process laid out by <see cref="HostBacking"/> (BARs reserved, never
/// charged), and an x86-64 IOMMU domain per container, so every listener
/// ioctl pins, charges and writes page tables. Elsewhere they are <see cref="MappingSetBackend"/>s: a
/// split-capable backend is not type1, and a generated tree's regions reach 2^64 (whole-space RAM, windows at the
/// top of the space), which no process's virtual space and no 48-bit IOMMU domain can hold; there the IOVA rules
/// are all that can be checked.
/// </summary>
public sealed class CaseContainers
{
    private readonly DmaCase _case;

    private CaseContainers(DmaCase c, HostMemory? host, RamBlocks blocks)
    {
        _case = c;
        Host = host;
        Blocks = blocks;
    }

    /// <summary>The process whose memory real containers pin, or <see langword="null"/> when the case's
    /// containers are IOVA-only models.</summary>
    public HostMemory? Host { get; }

    /// <summary>Where each RAM-backed region of the case lives in <see cref="Host"/>.</summary>
    public RamBlocks Blocks { get; }

    /// <summary>Whether <see cref="Create"/> makes real type1 containers.</summary>
    public bool AreType1 => Host is not null;

    /// <summary>Prepares the containers for a case: the host side is laid out once, from every RAM-backed region
    /// any of the case's trees defines (hot-added DIMMs included).</summary>
    /// <param name="c">The case.</param>
    /// <param name="trees">The case's trees (<see cref="DmaCase.Trees"/>).</param>
    /// <returns>The factory.</returns>
    public static CaseContainers For(DmaCase c, IReadOnlyList<RegionTree> trees)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(trees);
        if (c.Layout is null || c.SplitCapable)
        {
            return new CaseContainers(c, null, RamBlocks.Empty);
        }

        var backing = HostBacking.Of(trees.SelectMany(t => t.Regions));
        return new CaseContainers(c, backing.Host, backing.Blocks);
    }

    /// <summary>A new, empty container.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>A <see cref="Type1Container"/> with one x86-64 domain when <see cref="AreType1"/>, else a
    /// <see cref="MappingSetBackend"/> with the case's traits.</returns>
    public IDmaBackend Create(string name)
    {
        if (Host is null)
        {
            return new MappingSetBackend(name, _case.Traits);
        }

        var options = Type1Options.Default with
        {
            DmaEntryLimit = _case.EntryLimit,
            ValidIovaRanges = [AddressRange.FromBounds(0, (UInt128)1 << 48)],
        };
        return new Type1Container(name, options, Host, Blocks, [PageTableOptions.Default]);
    }

    /// <summary>
    /// The host side of a real container agrees with what it says it maps: for every live mapping, the first and
    /// last page of each domain translate to the host physical page behind the mapping's RAM block, with the
    /// mapping's write permission, and that page is pinned (unless it is reserved: another device's BAR).
    /// </summary>
    /// <param name="container">A container made by <see cref="Create"/>.</param>
    /// <returns>The first disagreement, or <see langword="null"/>.</returns>
    public string? HostSideMismatch(IDmaBackend container)
    {
        if (Host is null || container is not Type1Container type1)
        {
            return null;
        }

        foreach (var m in type1.Type1Mappings)
        {
            foreach (ulong at in ImmutableArray.Create(0UL, m.Size - 0x1000))
            {
                if (!Host.Resolve(m.Vaddr + at, 0x1000, out var segments) || segments.Length != 1)
                {
                    return $"{type1.Name}: {m} has no host page at vaddr 0x{m.Vaddr + at:x}";
                }

                ulong hpa = segments[0].Hpa;
                if (Host.PinCount(hpa) == 0 && !Host.IsReserved(hpa))
                {
                    return $"{type1.Name}: {m} maps host page 0x{hpa:x}, which is not pinned";
                }

                for (int d = 0; d < type1.Domains.Count; d++)
                {
                    var translation = type1.Domains[d].Translate(m.Iova + at);
                    bool writable = (m.Flags & Type1MapFlags.Write) != 0;
                    if (translation is not { } t || t.Pa != hpa || ((t.Protection & Protection.Write) != 0) != writable)
                    {
                        return $"{type1.Name}: domain {d} translates iova 0x{m.Iova + at:x} to {(translation?.ToString() ?? "nothing")}, "
                            + $"but {m} puts host page 0x{hpa:x} {(writable ? "rw" : "ro")} there";
                    }
                }
            }
        }

        return null;
    }
}
