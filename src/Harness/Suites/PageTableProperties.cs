using Verify.MemoryMap;
using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.PageTables;
using Verify.Harness.Running;
using Verify.IommuModel;
using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Suites;

/// <summary>
/// Group PT of PROPERTIES.md: host IOMMU page tables and the IOTLB (SEMANTICS.md 4). Every general
/// case runs under every split policy and invalidation mode; the format, live-leaf and sub-table
/// policies, strict or lazy, are generated.
/// </summary>
[PropertySuite("PageTables")]
public static class PageTableProperties
{
    private const string Suite = "PageTables";

    /// <summary>PT-01 .. PT-08.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("PT-01", "P_PT_01_TranslationMatchesOracle", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(), TranslationMatchesOracle)),
        new("PT-02", "P_PT_02_PageSizeChoiceIsMaximal", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(), PageSizeChoiceIsMaximal)),
        new("PT-03", "P_PT_03_FailedMapChangesNothing", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(tableBudget: true), FailedMapChangesNothing)),
        new("PT-04", "P_PT_04_UnmapReturnsWhatPolicyPrescribes", Suite,
            () => Prop.ForAll(PageTableGenerators.PartialLeafCases(), UnmapReturnsWhatPolicyPrescribes)),
        NoStaleTranslationAfterSync(IotlbFlushBug.None),
        new("PT-06", "P_PT_06_UnchangedPagesTranslateAtEveryStore", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(), UnchangedPagesTranslateAtEveryStore)),
        new("PT-07", "P_PT_07_TablePagesFreedWhenEmptyAndOnlyAfterSync", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(), TablePagesFreedWhenEmptyAndOnlyAfterSync)),
        new("PT-08", "P_PT_08_InvalidationCommandsMatchCostModel", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(), InvalidationCommandsMatchCostModel)),
    ];

    /// <summary>PT-05 over a model carrying <paramref name="bug"/>; with <see cref="IotlbFlushBug.None"/> this is
    /// the catalogued property, with a bug it is the demonstration that the property catches it.</summary>
    /// <param name="bug">The deliberate bug, or none.</param>
    /// <returns>The property definition.</returns>
    public static PropertyDefinition NoStaleTranslationAfterSync(IotlbFlushBug bug) =>
        new("PT-05", "P_PT_05_NoStaleTranslationAfterSync", Suite,
            () => Prop.ForAll(PageTableGenerators.Cases(bug), NoStaleTranslationAfterSync));

    private static Property TranslationMatchesOracle(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            var rig = UnmapsAgainstOracle(c, variant, (unmap, leaf, returned) =>
            {
                if (leaf is { } l && (unmap.Iova != l.Iova || unmap.Size < l.Size))
                {
                    labels.Add(variant.Split switch
                    {
                        SplitPolicy.Split when returned > 0 => "superpage split",
                        SplitPolicy.WholeLeaf when returned > unmap.Size => "whole-leaf over-unmap",
                        SplitPolicy.Refuse => "refused partial unmap",
                        _ => "",
                    });
                }

                labels.Add(returned < unmap.Size && leaf is null ? "hole" : "");
            });
            labels.Add(rig.Oracle.Leaves.Any(l => l.Size == c.Options.Format.PageSizes[^1]) ? "largest leaf" : "");
        }

        labels.Add(c.Options.Format.Granule == 0x1_0000 ? "64K granule" : "");
        labels.Add(c.Maps.Any(m => m.End == c.Options.Format.AddressLimit) ? "map reaches the top of the address width" : "");
        return labels.Apply(true.ToProperty());
    }

    /// <summary>Runs one variant step by step: every result must agree with the oracle and every page must
    /// translate as it says; <paramref name="onUnmap"/> sees each unmap with the leaf that held its first page.</summary>
    private static PageTableRig UnmapsAgainstOracle(PageTableCase c, PageTableOptions variant, Action<UnmapOp, OracleLeaf?, ulong> onUnmap)
    {
        var rig = new PageTableRig(variant);
        for (int i = 0; i < c.Ops.Length; i++)
        {
            var leaf = c.Ops[i] is UnmapOp u ? rig.Oracle.LeafAt(u.Iova) : null;
            var result = rig.ApplyAgreeing(i + 1, c.Ops[i]);
            rig.CheckTranslations(i + 1, c.Ops[i]);
            if (c.Ops[i] is UnmapOp unmap)
            {
                onUnmap(unmap, leaf, result.UnmapReturned);
            }
        }

        return rig;
    }

    private static Property PageSizeChoiceIsMaximal(PageTableCase c)
    {
        var labels = new Labels();
        var format = c.Options.Format;
        foreach (var map in c.Maps)
        {
            if (map.End > format.AddressLimit || ((map.Iova | map.Pa | map.Size) & (format.Granule - 1)) != 0)
            {
                continue;
            }

            var chosen = new List<(ulong Iova, ulong Pa, ulong Size)>();
            ulong iova = map.Iova, pa = map.Pa, left = map.Size;
            int runs = 0;
            while (left > 0)
            {
                var (pageSize, count) = PageSizeChoice.Next(format.PageSizeBitmap, iova, pa, left);
                runs++;
                for (ulong k = 0; k < count; k++, iova += pageSize, pa += pageSize, left -= pageSize)
                {
                    chosen.Add((iova, pa, pageSize));
                }
            }

            var best = PageTableOracle.BestPages(format, map.Iova, map.Pa, map.Size);
            if (!chosen.SequenceEqual(best))
            {
                int at = chosen.Zip(best).TakeWhile(p => p.First == p.Second).Count();
                throw new PageTableViolation(
                    $"{map} on {format.Name}: page {at + 1} is {Page(chosen.ElementAtOrDefault(at))} but the brute-force best is {Page(best.ElementAtOrDefault(at))}");
            }

            var table = new IoPageTable(c.Options);
            table.Map(map.Iova, map.Pa, map.Size, map.Protection);
            var leaves = table.Leaves().Select(l => (l.Iova, l.Pa, l.Size));
            if (!leaves.SequenceEqual(best))
            {
                throw new PageTableViolation($"{map} on {format.Name}: the table holds {table.Leaves().Count} leaves, not the {best.Count} best pages");
            }

            labels.Add(best.Any(p => p.Size == format.PageSizes[^1]) ? "largest page used" : "");
            labels.Add(runs > 1 && best.Select(p => p.Size).Distinct().Count() > 1 ? "run stops at a larger-page boundary" : "");
            labels.Add(((map.Iova ^ map.Pa) & (format.PageSizes[^1] - 1)) != 0 ? "pa skewed from iova" : "");
        }

        // For unmap only the IOVA's alignment counts: the same choice with pa = iova.
        foreach (var unmap in c.Unmaps.Where(u => u.Size > 0 && ((u.Iova | u.Size) & (format.Granule - 1)) == 0))
        {
            var (pageSize, count) = PageSizeChoice.Next(format.PageSizeBitmap, unmap.Iova, unmap.Iova, unmap.Size);
            var best = PageTableOracle.BestPages(format, unmap.Iova, unmap.Iova, unmap.Size);
            if (best.Take((int)Math.Min(count, (ulong)best.Count)).Any(p => p.Size != pageSize) || (count < (ulong)best.Count && best[(int)count].Size == pageSize))
            {
                throw new PageTableViolation($"{unmap} on {format.Name}: the kernel rule gives {count} x {PageTableText.Size(pageSize)} first, the brute force does not");
            }
        }

        return labels.Apply(true.ToProperty());
    }

    private static Property FailedMapChangesNothing(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            var model = new IoPageTable(variant);
            var gather = new UnmapGather();
            for (int i = 0; i < c.Ops.Length; i++)
            {
                string where = $"step {i + 1} ({c.Ops[i]}) under split={variant.Split}";
                switch (c.Ops[i])
                {
                    case MapOp m:
                        var before = model.Leaves();
                        int tables = model.TablePageCount, awaiting = model.TablePagesAwaitingSync;
                        long stores = model.StoreCount;
                        var oracle = PageTableOracle.FromLeaves(variant, before.Select(l => new OracleLeaf(l.Iova, l.Size, l.Pa, l.Protection)));
                        var want = oracle.Map(m.Iova, m.Pa, m.Size, m.Protection);
                        var got = model.Map(m.Iova, m.Pa, m.Size, m.Protection);
                        if (got.Succeeded)
                        {
                            if (!want.Succeeded)
                            {
                                throw new PageTableViolation($"{where}: the model mapped but the definition says {want.Error}");
                            }

                            var after = model.Leaves().Select(l => new OracleLeaf(l.Iova, l.Size, l.Pa, l.Protection));
                            if (!after.SequenceEqual(oracle.Leaves))
                            {
                                throw new PageTableViolation($"{where}: the map succeeded but the leaves differ from the definition's");
                            }

                            labels.Add("map succeeded");
                            break;
                        }

                        if (got.Error != want.Error && !(got.Error == Errno.ENOMEM && variant.MaxTablePages is not null))
                        {
                            throw new PageTableViolation($"{where}: the model failed with {got.Error} but the definition says {want}");
                        }

                        if (!model.Leaves().SequenceEqual(before) || model.TablePageCount != tables || model.TablePagesAwaitingSync != awaiting)
                        {
                            throw new PageTableViolation(
                                $"{where}: the map failed with {got.Error} yet changed the table " +
                                $"({before.Count} -> {model.Leaves().Count} leaves, {tables} -> {model.TablePageCount} table pages)");
                        }

                        labels.Add(model.StoreCount - stores > 0 ? $"rolled back after {got.Error}" : $"refused with {got.Error}");
                        break;
                    case UnmapOp u:
                        model.Unmap(u.Iova, u.Size, gather);
                        break;
                    case SyncOp:
                        model.Sync(gather);
                        break;
                    default:
                        model.FlushQueue();
                        break;
                }
            }
        }

        return labels.Apply(true.ToProperty());
    }

    private static Property UnmapReturnsWhatPolicyPrescribes(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            UnmapsAgainstOracle(c, variant, (unmap, leaf, _) =>
            {
                if (leaf is { } l && unmap.Size % variant.Format.Granule == 0)
                {
                    labels.Add(unmap.Iova == l.Iova && unmap.Size >= l.Size ? "whole leaves"
                        : unmap.Iova == l.Iova ? "partial at start of leaf"
                        : unmap.Iova + unmap.Size == l.End ? "partial at end of leaf"
                        : "partial in middle of leaf");
                }
            });
        }

        return labels.Apply(true.ToProperty());
    }

    private static Property NoStaleTranslationAfterSync(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            var rig = new PageTableRig(variant);
            bool lazy = variant.Flush == FlushMode.Lazy;
            for (int i = 0; i < c.Ops.Length; i++)
            {
                if (c.Ops[i] is MapOp or UnmapOp)
                {
                    rig.TouchEveryLeaf();
                }

                var result = rig.Apply(c.Ops[i]);
                labels.Add(c.Ops[i] is UnmapOp unmap && result.UnmapReturned > unmap.Size ? "over-unmapped tail" : "");
                // Only what was synced is promised: strict right after the sync, lazy after the queue flush.
                if (((c.Ops[i] is SyncOp && !lazy) || (c.Ops[i] is FlushQueueOp && lazy)) && rig.Gather.IsEmpty)
                {
                    rig.CheckNoStaleEntries($"after step {i + 1} ({c.Ops[i]})");
                }
                else if (c.Ops[i] is SyncOp && lazy && HasStaleLeaf(rig))
                {
                    labels.Add("lazy: stale until the queue flush");
                }
            }

            rig.Apply(new SyncOp());
            rig.Apply(new FlushQueueOp());
            rig.CheckNoStaleEntries("after the final sync and queue flush");
            labels.Add(rig.Model.Iotlb.CachedLeaves.Any() ? "IOTLB warm at the end" : "");
        }

        return labels.Apply(true.ToProperty());
    }

    private static bool HasStaleLeaf(PageTableRig rig) =>
        rig.Model.Iotlb.CachedLeaves.Any(e => rig.Oracle.Translate(e.Iova) != new Translation(e.Pa, e.Protection));

    private static Property UnchangedPagesTranslateAtEveryStore(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            var rig = new PageTableRig(variant) { TrackBefore = true };
            int step = 0;
            SortedLeaves after = SortedLeaves.Empty;
            var gaps = new List<(PteStore Store, ulong Iova, Translation Was, Translation? Seen)>();
            rig.Model.Stored += store =>
            {
                if (!store.Reachable || rig.Current is null)
                {
                    return;
                }

                var points = new SortedSet<ulong> { store.Iova };
                UInt128 end = (UInt128)store.Iova + store.Span;
                points.UnionWith(rig.Before.BoundariesIn(store.Iova, end));
                points.UnionWith(after.BoundariesIn(store.Iova, end));
                if (store.LinksTable)
                {
                    foreach (var leaf in rig.Model.LeavesIn(store.Iova, end))
                    {
                        points.Add(leaf.Iova);
                        if (leaf.End < end)
                        {
                            points.Add((ulong)leaf.End);
                        }
                    }
                }

                foreach (ulong p in points)
                {
                    var was = rig.Before.Translate(p);
                    if (was is null || was != after.Translate(p) || rig.Model.Translate(p) == was)
                    {
                        continue;
                    }

                    // Judged when the call returns: a rollback reports its windows only then.
                    gaps.Add((store, p, was.Value, rig.Model.Translate(p)));
                }
            };
            for (int i = 0; i < c.Ops.Length; i++)
            {
                step = i + 1;
                // The definition's after-state is computed before the model moves (the rig applies the oracle first).
                var probe = PageTableOracle.FromLeaves(variant, rig.Oracle.Leaves);
                if (c.Ops[i] is MapOp m)
                {
                    probe.Map(m.Iova, m.Pa, m.Size, m.Protection);
                }
                else if (c.Ops[i] is UnmapOp u)
                {
                    probe.Unmap(u.Iova, u.Size);
                }

                after = new SortedLeaves(probe.Leaves);
                long stores = rig.Model.StoreCount;
                gaps.Clear();
                rig.ApplyAgreeing(step, c.Ops[i]);
                foreach (var gap in gaps)
                {
                    if (!rig.Model.LastCallWindows.Any(w => w.Contains(gap.Iova)))
                    {
                        throw new PageTableViolation(
                            $"{rig.Where(step, c.Ops[i])}: right after {gap.Store} iova 0x{gap.Iova:x} translates to {PageTableRig.Show(gap.Seen)}, " +
                            $"but it translates to {gap.Was} both before and after the update: an unreported DMA window");
                    }

                    labels.Add("window reported by the model");
                }

                labels.Add(c.Ops[i] is UnmapOp && variant.Split == SplitPolicy.Split && rig.Model.StoreCount - stores >= 1
                    && rig.Before.Translate(((UnmapOp)c.Ops[i]).Iova) is not null ? "split under live DMA" : "");
            }
        }

        return labels.Apply(true.ToProperty());
    }

    private static Property TablePagesFreedWhenEmptyAndOnlyAfterSync(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            var rig = new PageTableRig(variant);
            bool lazy = variant.Flush == FlushMode.Lazy;
            var freed = new Dictionary<int, (int Step, int ForcedSyncs)>();
            int step = 0, peak = 1;
            rig.Model.TablePageFreed += table =>
            {
                if (rig.Current is not MapOp)
                {
                    freed[table] = (step, rig.Gather.ForcedSyncs);
                }
            };
            rig.Model.Stored += store =>
            {
                peak = Math.Max(peak, rig.Model.TablePageCount + rig.Model.TablePagesAwaitingSync);
                if (freed.TryGetValue(store.TablePage, out var f) && (lazy || rig.Gather.ForcedSyncs == f.ForcedSyncs))
                {
                    throw new PageTableViolation(
                        $"{rig.Where(step, rig.Current!)}: table page {store.TablePage}, freed at step {f.Step}, was written ({store}) before any sync");
                }
            };
            for (int i = 0; i < c.Ops.Length; i++)
            {
                step = i + 1;
                rig.ApplyAgreeing(step, c.Ops[i]);
                if ((c.Ops[i] is SyncOp && !lazy) || (c.Ops[i] is FlushQueueOp && lazy))
                {
                    // Released now: everything but what sits in a gather not yet synced.
                    var unsynced = rig.Gather.FreedTablePages.ToHashSet();
                    foreach (int table in freed.Keys.Where(t => !unsynced.Contains(t)).ToList())
                    {
                        freed.Remove(table);
                    }

                    if (rig.Model.TablePagesAwaitingSync != unsynced.Count)
                    {
                        throw new PageTableViolation(
                            $"{rig.Where(step, c.Ops[i])}: {rig.Model.TablePagesAwaitingSync} table pages still wait after the " +
                            $"{(lazy ? "queue flush" : "sync")}, but only {unsynced.Count} sit in a gather not yet synced");
                    }
                }

                int need = rig.Oracle.RequiredTablePages();
                if (rig.Model.TablePageCount != need)
                {
                    throw new PageTableViolation(
                        $"{rig.Where(step, c.Ops[i])}: the table holds {rig.Model.TablePageCount} table pages but its leaves need {need} " +
                        "(an empty table page was kept, or a needed one lost)");
                }

                if (rig.Model.TablePagesAllocated > peak)
                {
                    throw new PageTableViolation(
                        $"{rig.Where(step, c.Ops[i])}: {rig.Model.TablePagesAllocated} table pages allocated although at most {peak} were ever in use");
                }

                labels.Add(rig.Model.TablePagesAwaitingSync > 0 ? "table pages awaiting sync" : "");
            }

            labels.Add(freed.Count > 0 || rig.Model.TablePagesAllocated > rig.Model.TablePageCount ? "table pages freed" : "");
        }

        return labels.Apply(true.ToProperty());
    }

    private static Property InvalidationCommandsMatchCostModel(PageTableCase c)
    {
        var labels = new Labels();
        foreach (var variant in c.Variants)
        {
            var rig = new PageTableRig(variant);
            for (int i = 0; i < c.Ops.Length; i++)
            {
                long before = rig.Model.Iotlb.CommandCount;
                rig.ApplyAgreeing(i + 1, c.Ops[i]);
                if (rig.Model.Iotlb.CommandCount != rig.Ledger.Commands)
                {
                    throw new PageTableViolation(
                        $"{rig.Where(i + 1, c.Ops[i])}: the model has sent {rig.Model.Iotlb.CommandCount} invalidation commands " +
                        $"but the cost model says {rig.Ledger.Commands} ({string.Join("; ", rig.Model.Iotlb.Commands.TakeLast(3))})");
                }

                var ranges = rig.Model.Iotlb.Commands.Where(k => k.Kind != InvalidationKind.WholeDomain)
                    .Select(k => (k.Iova, k.Iova + k.Size, k.Granule)).ToList();
                if (!ranges.SequenceEqual(rig.Ledger.Invalidated))
                {
                    throw new PageTableViolation(
                        $"{rig.Where(i + 1, c.Ops[i])}: the invalidated ranges do not cover exactly the removed leaves " +
                        $"(model: {string.Join(", ", ranges.Select(r => $"[0x{r.Item1:x}..0x{r.Item2:x})"))}; " +
                        $"definition: {string.Join(", ", rig.Ledger.Invalidated.Select(r => $"[0x{r.Start:x}..0x{r.End:x})"))})");
                }

                long sent = rig.Model.Iotlb.CommandCount - before;
                labels.Add(sent > 1 ? "several commands for one step" : "");
                labels.Add(rig.Model.Iotlb.Commands.Any(k => k.Kind == InvalidationKind.WholeDomain) ? "whole-domain flush" : "");
            }

            labels.Add(rig.Gather.ForcedSyncs > 0 ? "forced sync (granule change or gap)" : "");
        }

        return labels.Apply(true.ToProperty());
    }

    private static string Page((ulong Iova, ulong Pa, ulong Size) page) =>
        page == default ? "nothing" : $"{PageTableText.Size(page.Size)} at iova 0x{page.Iova:x} pa 0x{page.Pa:x}";

    /// <summary>The labels one case earned, applied once each so a case is counted once per label set.</summary>
    private sealed class Labels
    {
        private readonly SortedSet<string> _labels = new(StringComparer.Ordinal);

        public void Add(string label)
        {
            if (label.Length > 0)
            {
                _labels.Add(label);
            }
        }

        public Property Apply(Property property)
        {
            foreach (string label in _labels)
            {
                property = property.Classify(true, label);
            }

            return property;
        }
    }
}
