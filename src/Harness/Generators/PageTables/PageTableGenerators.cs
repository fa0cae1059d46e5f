using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.IommuModel.PageTables;
using Verify.MemoryMap;

namespace Verify.Harness.Generators.PageTables;

/// <summary>
/// Page-table scenarios aimed at the edges of docs/semantics.md 4: superpage-aligned and just-misaligned
/// addresses, runs crossing larger-page boundaries, partial-leaf unmaps at the start, middle and end
/// of a leaf, holes, the top of the 48/57-bit width, 16K and 64K granules. Every operation stays in
/// a window of four largest pages so a case touches few leaves; physical addresses usually share
/// the IOVA's offset inside the largest page (so superpages form) and sometimes are skewed by one
/// granule or one middle page (so they cannot).
/// </summary>
public static class PageTableGenerators
{
    private const ulong WindowLargestPages = 4;

    /// <summary>General scenarios: maps, unmaps, syncs and queue flushes, run under every split policy
    /// and invalidation mode.</summary>
    /// <param name="tableBudget">Whether to limit table pages (so maps fail with ENOMEM half-way).</param>
    /// <returns>The arbitrary, with a shrinker that drops variants and operations and simplifies sizes.</returns>
    public static Arbitrary<PageTableCase> Cases(bool tableBudget = false) =>
        Arb.From(Gen.Sized(size => CaseGen(tableBudget, size, partialLeaf: false)), Shrink);

    /// <summary>Partial-leaf scenarios: one to three superpage maps, then unmaps at the start, middle or
    /// end of a leaf, whole leaves and overshoots.</summary>
    /// <returns>The arbitrary with the same shrinker.</returns>
    public static Arbitrary<PageTableCase> PartialLeafCases() =>
        Arb.From(Gen.Sized(size => CaseGen(false, size, partialLeaf: true)), Shrink);

    /// <summary>The generator of options other than split policy and invalidation mode.</summary>
    /// <param name="tableBudget">Whether to set a table-page limit.</param>
    /// <returns>The generator.</returns>
    public static Gen<PageTableOptions> OptionsGen(bool tableBudget) =>
        from format in Gen.Frequency(
            (4, Gen.Constant(PageTableFormat.X86_64)),
            (1, Gen.Constant(PageTableFormat.X86_64FiveLevel)),
            (2, Gen.Constant(PageTableFormat.ArmLpae4K)),
            (2, Gen.Constant(PageTableFormat.ArmLpae16K)),
            (2, Gen.Constant(PageTableFormat.ArmLpae64K)))
        from live in Gen.Elements(Enum.GetValues<LiveLeafPolicy>())
        from sub in Gen.Elements(Enum.GetValues<SubTablePolicy>())
        from flush in Gen.Frequency((3, Gen.Constant(FlushMode.Strict)), (1, Gen.Constant(FlushMode.Lazy)))
        from threshold in Gen.Elements(2, 8, PageTableOptions.DefaultWholeDomainThreshold)
        from budget in tableBudget ? Gen.Choose(1, 9).Select(n => (int?)n) : Gen.Constant((int?)null)
        select new PageTableOptions
        {
            Format = format,
            LiveLeaf = live,
            SubTable = sub,
            Flush = flush,
            WholeDomainThreshold = threshold,
            MaxTablePages = budget,
        };

    /// <summary>Simpler cases: one variant instead of all, fewer operations, smaller sizes, plainer options.</summary>
    /// <param name="c">A failing case.</param>
    /// <returns>Candidates, most aggressive first.</returns>
    public static IEnumerable<PageTableCase> Shrink(PageTableCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Splits.Length > 1)
        {
            foreach (var split in c.Splits)
            {
                yield return c with { Splits = [split] };
            }
        }

        if (c.Modes.Length > 1)
        {
            foreach (var mode in c.Modes)
            {
                yield return c with { Modes = [mode] };
            }
        }

        int n = c.Ops.Length;
        if (n > 3)
        {
            yield return c with { Ops = c.Ops[(n / 2)..] };
            yield return c with { Ops = c.Ops[..(n / 2)] };
        }

        for (int i = 0; i < n; i++)
        {
            yield return c with { Ops = c.Ops.RemoveAt(i) };
        }

        ulong granule = c.Options.Format.Granule;
        var steps = c.Options.Format.PageSizes.Skip(1).Reverse().ToList();
        for (int i = 0; i < n; i++)
        {
            foreach (var simpler in ShrinkOp(c.Ops[i], granule, steps))
            {
                yield return c with { Ops = c.Ops.SetItem(i, simpler) };
            }
        }

        var o = c.Options;
        if (o.Flush != FlushMode.Strict)
        {
            yield return c with { Options = o with { Flush = FlushMode.Strict } };
        }

        if (o.LiveLeaf != LiveLeafPolicy.Eexist)
        {
            yield return c with { Options = o with { LiveLeaf = LiveLeafPolicy.Eexist } };
        }

        if (o.SubTable != SubTablePolicy.DestroySubTable)
        {
            yield return c with { Options = o with { SubTable = SubTablePolicy.DestroySubTable } };
        }
    }

    private static IEnumerable<PageTableOp> ShrinkOp(PageTableOp op, ulong granule, IReadOnlyList<ulong> steps)
    {
        switch (op)
        {
            case MapOp map:
                // Trim a ragged front or tail to a superpage size, so superpage cases print as 1G/2M maps.
                foreach (ulong step in steps)
                {
                    ulong front = (step - (map.Iova % step)) % step;
                    if (front > 0 && front < map.Size)
                    {
                        yield return new MapOp(map.Iova + front, map.Pa + front, map.Size - front, map.Protection);
                    }

                    ulong tail = map.Size % step;
                    if (tail > 0 && tail < map.Size)
                    {
                        yield return map with { Size = map.Size - tail };
                    }
                }

                if (map.Size > granule)
                {
                    yield return map with { Size = granule };
                    ulong half = map.Size / 2 / granule * granule;
                    if (half > granule)
                    {
                        yield return map with { Size = half };
                    }
                }

                if (map.Protection != Protection.ReadWrite)
                {
                    yield return map with { Protection = Protection.ReadWrite };
                }

                break;
            case UnmapOp unmap when unmap.Size > granule && unmap.Size % granule == 0:
                yield return unmap with { Size = granule };
                ulong halfUnmap = unmap.Size / 2 / granule * granule;
                if (halfUnmap > granule)
                {
                    yield return unmap with { Size = halfUnmap };
                }

                break;
            default:
                break;
        }
    }

    private static Gen<PageTableCase> CaseGen(bool tableBudget, int size, bool partialLeaf) =>
        from options in OptionsGen(tableBudget)
        from window in WindowGen(options.Format)
        from paBase in Gen.Choose(1, 1024).Select(k => (ulong)k * Largest(options.Format))
        from count in Gen.Choose(1, 3 + (Math.Max(size, 1) / 10))
        from ops in partialLeaf
            ? PartialLeafOpsGen(options.Format, window, paBase, count)
            : OpsGen(options.Format, window, paBase, count, ImmutableList<PageTableOp>.Empty)
        select new PageTableCase(
            options,
            [.. Enum.GetValues<SplitPolicy>()],
            [.. Enum.GetValues<InvalidationMode>()],
            [.. ops]);

    private static ulong Largest(PageTableFormat format) => format.PageSizes[^1];

    /// <summary>The step addresses move by: the middle page size where there is one (2M), else a
    /// sixteenth of the largest page (2M of 32M, 32M of 512M) so runs of small pages stay bounded.</summary>
    private static ulong Middle(PageTableFormat format) =>
        format.PageSizes.Count > 2 ? format.PageSizes[^2] : format.PageSizes[^1] / 16;

    private static Gen<ulong> WindowGen(PageTableFormat format)
    {
        ulong largest = Largest(format);
        return Gen.Frequency(
            (3, Gen.Constant(0UL)),
            (3, Gen.Choose(1, 64).Select(k => (ulong)k * largest)),
            (2, Gen.Constant(format.AddressLimit - (WindowLargestPages * largest))));
    }

    private static Gen<ImmutableList<PageTableOp>> OpsGen(
        PageTableFormat format, ulong window, ulong paBase, int remaining, ImmutableList<PageTableOp> done)
    {
        if (remaining == 0)
        {
            return Gen.Constant(done);
        }

        var maps = done.OfType<MapOp>().ToList();
        var map = MapGen(format, window, paBase).Select(m => (PageTableOp)m);
        var next = maps.Count == 0
            ? map
            : Gen.Frequency(
                (4, map),
                (5, UnmapGen(format, window, maps).Select(u => (PageTableOp)u)),
                (2, Gen.Constant((PageTableOp)new SyncOp())),
                (1, Gen.Constant((PageTableOp)new FlushQueueOp())));
        return next.SelectMany(op => OpsGen(format, window, paBase, remaining - 1, done.Add(op)));
    }

    private static Gen<ImmutableList<PageTableOp>> PartialLeafOpsGen(PageTableFormat format, ulong window, ulong paBase, int count)
    {
        ulong largest = Largest(format), middle = Middle(format);
        var superpage =
            from level in Gen.Elements(largest, middle)
            from slot in Gen.Choose(0, (int)WindowLargestPages - 1)
            from pages in Gen.Choose(1, 2)
            let iova = window + ((ulong)slot * largest)
            select new MapOp(iova, paBase + (iova - window), Math.Min((ulong)pages * level, window + (WindowLargestPages * largest) - iova), Protection.ReadWrite);
        return from mapCount in Gen.Choose(1, 3)
               from maps in Gen.ListOf(superpage, mapCount).Select(m => m.DistinctBy(x => x.Iova).ToList())
               from unmapCount in Gen.Choose(1, Math.Max(1, count / 2))
               from unmaps in Gen.ListOf(UnmapGen(format, window, maps), unmapCount)
               from sync in Gen.Elements(true, false)
               select ImmutableList.CreateRange<PageTableOp>(maps.Cast<PageTableOp>().Concat(unmaps).Concat(sync ? [new SyncOp()] : []));
    }

    private static Gen<MapOp> MapGen(PageTableFormat format, ulong window, ulong paBase)
    {
        ulong g = format.Granule, middle = Middle(format), largest = Largest(format);
        int middlesPerWindow = (int)((ulong)WindowLargestPages * largest / middle);
        var superpage =
            from slot in Gen.Choose(0, 2)
            from back in Gen.Choose(0, 2)
            from pages in Gen.Choose(1, 2)
            from extra in Gen.Choose(0, 2)
            let iova = window + ((ulong)slot * largest) - (slot > 0 ? (ulong)back * middle : 0)
            select (iova, (ulong)pages * largest + ((ulong)extra * middle), "superpage");
        var mid =
            from index in Gen.Choose(0, middlesPerWindow - 4)
            from skew in Gen.Elements(0UL, 0UL, g, middle - g)
            from pages in Gen.Choose(1, 3)
            from extra in Gen.Choose(0, 2)
            select (window + ((ulong)index * middle) + skew, ((ulong)pages * middle) + ((ulong)extra * g), "mid");
        var crossing =
            from boundary in Gen.Choose(1, 3)
            from before in Gen.Choose(1, 3)
            from beforeGranules in Gen.Choose(0, 2)
            from after in Gen.Choose(0, 2)
            from afterGranules in Gen.Choose(0, 1)
            let b = window + ((ulong)boundary * largest)
            let iova = b - ((ulong)before * middle) - ((ulong)beforeGranules * g)
            select (iova, b - iova + ((ulong)after * middle) + ((ulong)afterGranules * g), "crossing");
        var small =
            from index in Gen.Choose(0, 3)
            from offset in Gen.Choose(0, 15)
            from pages in Gen.Choose(1, 16)
            select (window + ((ulong)index * middle) + ((ulong)offset * g), (ulong)pages * g, "small");
        // At the top window: runs that end exactly at 2^48 / 2^57 (the last page of the width).
        var top =
            from middles in Gen.Choose(0, 2)
            from granules in Gen.Choose(1, 3)
            let iova = format.AddressLimit - ((ulong)middles * middle) - ((ulong)granules * g)
            select (iova, format.AddressLimit - iova, "top");
        bool atTop = window + (WindowLargestPages * largest) == format.AddressLimit;
        var shapes = Gen.Frequency((2, superpage), (3, mid), (2, crossing), (3, small), (atTop ? 3 : 1, atTop ? top : small));
        return from shape in shapes
               from skew in Gen.Frequency((8, Gen.Constant(0UL)), (1, Gen.Constant(g)), (1, Gen.Constant(middle)))
               from protection in Gen.Frequency(
                   (6, Gen.Constant(Protection.ReadWrite)), (2, Gen.Constant(Protection.Read)), (1, Gen.Constant(Protection.Write)))
               let size = skew == g ? Math.Min(shape.Item2, middle + (16 * g))
                   : skew == middle && format.PageSizes.Count == 2 ? Math.Min(shape.Item2, 4 * middle)
                   : shape.Item2
               select new MapOp(shape.Item1, paBase + (shape.Item1 - window) + skew, size, protection);
    }

    private static Gen<UnmapOp> UnmapGen(PageTableFormat format, ulong window, IReadOnlyList<MapOp> maps)
    {
        ulong g = format.Granule, middle = Middle(format);
        var target = Gen.Elements(maps.ToArray());
        var whole = target.Select(m => new UnmapOp(m.Iova, m.Size));
        var start = from m in target from k in Gen.Choose(1, 3) select new UnmapOp(m.Iova, (ulong)k * g);
        var inside =
            from m in target
            from at in Gen.Choose(1, (int)Math.Max(1, Math.Min(m.Size / g, int.MaxValue) - 1))
            from k in Gen.Choose(1, 2)
            select new UnmapOp(m.Iova + ((ulong)at * g), (ulong)k * g);
        var end = from m in target from k in Gen.Choose(1, 3) select new UnmapOp(m.Iova + m.Size - Math.Min(m.Size, (ulong)k * g), Math.Min(m.Size, (ulong)k * g));
        var alignedMiddle = target.Select(m => new UnmapOp((m.Iova + middle - 1) / middle * middle, middle));
        var overshoot = target.Select(m => new UnmapOp(m.Iova, m.Size + middle));
        var misaligned = from m in target
                         from half in Gen.Elements(true, false)
                         select half ? new UnmapOp(m.Iova + (g / 2), g) : new UnmapOp(m.Iova, g + (g / 2));
        var top = Gen.Constant(new UnmapOp(format.AddressLimit - g, g));
        var union = from a in target
                    from b in target
                    let first = Math.Min(a.Iova, b.Iova)
                    let last = UInt128.Max(a.End, b.End)
                    select new UnmapOp(first, (ulong)UInt128.Min(last - first, format.AddressLimit - first));
        var nearWindow = from k in Gen.Choose(0, 8) select new UnmapOp(window + ((ulong)k * middle), middle);
        return Gen.Frequency(
            (3, whole), (3, start), (3, inside), (2, end), (2, alignedMiddle), (1, overshoot),
            (1, misaligned), (1, top), (1, union), (1, nearWindow));
    }
}
