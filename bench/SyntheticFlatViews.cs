using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Bench;

/// <summary>
/// Deterministic flat views shaped like a large guest: RAM from a few big regions and MMIO from many
/// device regions, contiguous and gapped, with the flags QEMU really sets (read-only, dirty logging,
/// the odd unmergeable or romd-off range).
/// </summary>
internal static class SyntheticFlatViews
{
    private const ulong Page = 0x1000;

    // One string instance per region, as in a real view where every range's name comes from the
    // region tree; old and new views therefore share references, like two renders of one tree.
    private static readonly string[] RamRegions = Enumerable.Range(0, 8).Select(i => $"ram-node{i}").ToArray();
    private static readonly string[] IoRegions = Enumerable.Range(0, 56).Select(i => $"pci-dev{i}.mmio").ToArray();
    private static readonly string[] OverlayRegions = Enumerable.Range(0, 4).Select(i => $"overlay{i}").ToArray();

    /// <summary>What <see cref="DiffPair"/> changed, to check and print beside the numbers.</summary>
    internal readonly record struct ChangeCounts(int AttributeFlips, int DirtyMaskChanges, int MovedBoundaries, int Removed, int Added)
    {
        public int Total => AttributeFlips + DirtyMaskChanges + MovedBoundaries + Removed + Added;
    }

    /// <summary>
    /// A view of <paramref name="count"/> ranges in which a fraction <paramref name="mergeFraction"/> of the
    /// ranges can merge into their predecessor; every other neighbouring pair is deliberately not mergeable.
    /// </summary>
    public static FlatView Generate(int count, double mergeFraction, Random random)
    {
        var ranges = new FlatRange[count];
        var ramOffsets = new ulong[RamRegions.Length];
        ulong address = 0;
        for (int i = 0; i < count; i++)
        {
            ulong size = Page * (ulong)random.Next(1, 33);
            if (i > 0 && !ranges[i - 1].Unmergeable && random.NextDouble() < mergeFraction)
            {
                // A run QEMU's render would produce when a region is split by something that has since moved.
                var previous = ranges[i - 1];
                ranges[i] = previous with
                {
                    Range = new AddressRange(address, size),
                    OffsetInRegion = previous.OffsetInRegion + (ulong)previous.Range.Size,
                };
            }
            else
            {
                if (random.NextDouble() < 0.3)
                {
                    address += Page * (ulong)random.Next(1, 17);
                }

                var range = Fresh(new AddressRange(address, size), random, ramOffsets);
                if (i > 0 && FlatRange.CanMerge(ranges[i - 1], range))
                {
                    // Break offset contiguity so that only the runs chosen above merge.
                    range = range with { OffsetInRegion = range.OffsetInRegion + Page };
                }

                ranges[i] = range;
            }

            address += size;
        }

        return FlatView.Create(ranges);
    }

    /// <summary>
    /// Two views of <paramref name="count"/> ranges, neither mergeable anywhere, where about
    /// <paramref name="changedFraction"/> of the ranges differ: attributes flipped, dirty logging started or
    /// stopped, a boundary moved, a range removed, a range added (into a gap, or by splitting a range).
    /// </summary>
    public static (FlatView Old, FlatView New, ChangeCounts Changes) DiffPair(int count, double changedFraction, Random random)
    {
        var old = Generate(count, mergeFraction: 0, random);
        var changed = new List<FlatRange>(count + (int)(count * changedFraction) + 1);
        int flips = 0, masks = 0, moves = 0, removed = 0, added = 0;
        UInt128 lastEnd = 0;
        foreach (var r in old.Ranges)
        {
            if (random.NextDouble() >= changedFraction)
            {
                Emit(r);
                continue;
            }

            double kind = random.NextDouble();
            ulong pages = (ulong)(r.Range.Size / Page);
            if (kind < 0.15)
            {
                removed++;
            }
            else if (kind < 0.30 && r.Range.Start > lastEnd)
            {
                // A device mapped into the gap below this range.
                added++;
                Emit(new FlatRange(AddressRange.FromBounds((ulong)lastEnd, r.Range.Start), Pick(OverlayRegions, random), RegionKind.Io, 0));
                Emit(r);
            }
            else if (kind < 0.30 && pages > 1)
            {
                // An overlay covering the upper half: del of the old range, add of both pieces.
                added++;
                ulong lower = pages / 2 * Page;
                Emit(r.Clip(new AddressRange(r.Range.Start, lower)));
                Emit(new FlatRange(AddressRange.FromBounds(r.Range.Start + lower, r.Range.End), Pick(OverlayRegions, random), RegionKind.Io, 0));
            }
            else if (kind < 0.50 && pages > 1)
            {
                moves++;
                Emit(r.Clip(AddressRange.FromBounds(r.Range.Start + Page, r.Range.End)));
            }
            else if (kind < 0.60)
            {
                masks++;
                Emit(r with { DirtyLogMask = (byte)(r.DirtyLogMask ^ 0b100) });
            }
            else
            {
                flips++;
                Emit(r with { ReadOnly = !r.ReadOnly });
            }
        }

        return (old, FlatView.Create(changed), new ChangeCounts(flips, masks, moves, removed, added));

        void Emit(FlatRange range)
        {
            changed.Add(range);
            lastEnd = range.Range.End;
        }
    }

    private static FlatRange Fresh(AddressRange range, Random random, ulong[] ramOffsets)
    {
        double kind = random.NextDouble();
        if (kind < 0.60)
        {
            int node = random.Next(RamRegions.Length);
            ulong offset = ramOffsets[node];
            ramOffsets[node] += (ulong)range.Size + (Page * (ulong)random.Next(0, 4));
            return new FlatRange(range, RamRegions[node], RegionKind.Ram, offset,
                ReadOnly: random.NextDouble() < 0.05,
                NonVolatile: random.NextDouble() < 0.01,
                DirtyLogMask: random.NextDouble() < 0.2 ? (byte)0b001 : (byte)0,
                Unmergeable: random.NextDouble() < 0.01);
        }

        if (kind < 0.95)
        {
            return new FlatRange(range, Pick(IoRegions, random), RegionKind.Io, Page * (ulong)random.Next(0, 64));
        }

        return kind < 0.98
            ? new FlatRange(range, Pick(IoRegions, random), RegionKind.RamDevice, 0)
            : new FlatRange(range, "pc.bios", RegionKind.RomDevice, Page * (ulong)random.Next(0, 64), RomdMode: random.NextDouble() < 0.5);
    }

    private static string Pick(string[] names, Random random) => names[random.Next(names.Length)];

    /// <summary>
    /// Two views of <paramref name="ranges"/> RAM ranges of <paramref name="size"/> bytes alternating between the RAM
    /// blocks <c>ram-a</c> and <c>ram-b</c> (so neighbours never merge and every range is its own mapping); in the
    /// second, <paramref name="changed"/> ranges, evenly spread, are read-only.
    /// </summary>
    public static (FlatView Old, FlatView New) ReadOnlyFlips(int ranges, ulong size, int changed)
    {
        var old = new FlatRange[ranges];
        var now = new FlatRange[ranges];
        for (int i = 0; i < ranges; i++)
        {
            ulong start = (ulong)i * size;
            old[i] = new FlatRange(new AddressRange(start, size), i % 2 == 0 ? "ram-a" : "ram-b", RegionKind.Ram, start);
            now[i] = changed > 0 && i % (ranges / changed) == 0 ? old[i] with { ReadOnly = true } : old[i];
        }

        return (FlatView.Create(old), FlatView.Create(now));
    }
}
