using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.Dma;
using Verify.Harness.Running;
using Verify.Harness.Variants;
using Verify.MemoryMap;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.Oracle.Dma;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Suites;

/// <summary>DL-01..DL-07 (PROPERTIES.md): the naive and coalescing DMA listeners against the oracle, over
/// transaction sequences on arbitrary trees and realistic machines, with hot-plugged containers.</summary>
[PropertySuite("DmaListener")]
public static class DmaListenerProperties
{
    /// <summary>The suite's properties.</summary>
    public static IReadOnlyList<PropertyDefinition> Definitions { get; } =
    [
        new("DL-01", "P_DL_01_ContainersTranslateTheDmaVisiblePages", "DmaListener", ContainersTranslateTheView),
        new("DL-02", "P_DL_02_EveryIoctlIsLegalForTheBackend", "DmaListener", EveryIoctlIsLegal),
        new("DL-03", "P_DL_03_FunctionallyEqualRelayoutIssuesNoIoctl", "DmaListener", EqualRelayoutIsFree),
        new("DL-04", "P_DL_04_CollateralIsTheMinimumTheHistoryForces", "DmaListener", CollateralIsMinimal),
        new("DL-05", "P_DL_05_HotpluggedContainersConvergeAndStayLegal", "DmaListener", HotplugConverges),
        new("DL-06", "P_DL_06_NaiveListenerReproducesQemuIoctls", "DmaListener", NaiveReproducesQemu),
        new("DL-07", "P_DL_07_EntryLimitIsNeverExceededNorHalfApplied", "DmaListener", EntryLimitHolds),
    ];

    /// <summary>DL-01, DL-02, DL-04, DL-05 or DL-07 over <paramref name="listener"/>; with
    /// <see cref="DmaListenerImplementation.Model"/> these are the catalogued properties. DL-03 and DL-06 build their
    /// own listeners and are not offered.</summary>
    /// <param name="id">The property id.</param>
    /// <param name="listener">How cases are run; tests pass a broken variant to see the property fail.</param>
    /// <returns>The property, under the catalogued id and name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not one of those five.</exception>
    public static PropertyDefinition Of(string id, DmaListenerImplementation listener)
    {
        Func<Property> build = id switch
        {
            "DL-01" => () => ContainersTranslateTheView(listener),
            "DL-02" => () => EveryIoctlIsLegal(listener),
            "DL-04" => () => CollateralIsMinimal(listener),
            "DL-05" => () => HotplugConverges(listener),
            "DL-07" => () => EntryLimitHolds(listener),
            _ => throw new ArgumentOutOfRangeException(nameof(id), id, "expected DL-01, DL-02, DL-04, DL-05 or DL-07"),
        };
        return Definitions.Single(d => d.Id == id) with { Build = build };
    }

    private static Property ContainersTranslateTheView() => ContainersTranslateTheView(DmaListenerImplementation.Model);

    private static Property ContainersTranslateTheView(DmaListenerImplementation listener) =>
        Prop.ForAll(DmaGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var run = listener.Execute(c);
            foreach (var t in run)
            {
                // A container whose plan was refused (entry limit) keeps its old mappings by design; DL-07 checks that.
                foreach (var step in t.Coalescing.Where(s => s.Plan is { ExceedsEntryLimit: false }).Concat(t.Naive.Where(s => NaiveFits(c, s))))
                {
                    ExpectTranslates(verdict, c, t.New, step.After, $"transaction {t.Number + 1}, {step.Container.Name}");
                    verdict.Expect(step.HostSideMismatch is null, () => $"transaction {t.Number + 1}: {step.HostSideMismatch}");
                }
            }

            return Classified(verdict, c, run).ToProperty();
        });

    private static Property EveryIoctlIsLegal() => EveryIoctlIsLegal(DmaListenerImplementation.Model);

    private static Property EveryIoctlIsLegal(DmaListenerImplementation listener) =>
        Prop.ForAll(DmaGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var run = listener.Execute(c);
            foreach (var t in run)
            {
                foreach (var h in t.Hotplugs)
                {
                    ExpectLegal(verdict, c, [], h.Replay.Operations, $"replay into {h.Container.Name}");
                }

                foreach (var step in t.Coalescing.Where(s => s.Plan is { ExceedsEntryLimit: false }).Concat(t.Naive.Where(s => NaiveFits(c, s))))
                {
                    ExpectLegal(verdict, c, step.Before, step.Operations, $"transaction {t.Number + 1}, {step.Container.Name}");
                }
            }

            return Classified(verdict, c, run).ToProperty();
        });

    private static Property EqualRelayoutIsFree() =>
        Prop.ForAll(DmaGenerators.Cases, DmaGenerators.Relayouts, (c, relayout) =>
        {
            // Commit the case's last view, then a re-partition of it with the same DMA-visible translation.
            var verdict = new Verdict();
            var run = ListenerRun.Execute(c);
            var last = run[^1].New;
            var other = relayout.Apply(last);
            bool sameTranslation = SameTranslation(c, last, other);
            if (sameTranslation)
            {
                var listener = new CoalescingListener(c.DmaOptions, c.PlanOptions);
                var topology = new Verify.MemoryMap.Topology.MemoryTopology(last);
                topology.Register(listener);
                var container = CaseContainers.For(c, c.Trees()).Create("container0");
                listener.AddContainer(container);
                foreach (var (from, to) in new[] { (last, other), (other, last) })
                {
                    topology.Commit(to);
                    var plan = listener.LastPlans[container];
                    verdict.Expect(plan.IsEmpty, () => $"re-layout\n{from}\n->\n{to}\nkeeps every translation but the plan is\n{plan}");
                }
            }

            return verdict
                .Classify(!sameTranslation, "re-layout changed the DMA-visible map (not checked)")
                .Classify(sameTranslation && !last.Equals(other), "different ranges, same translation")
                .Classify(sameTranslation && other.Count < last.Count, "merge A+B -> A'")
                .Classify(sameTranslation && other.Count > last.Count, "split A -> A'+B")
                .ToProperty();
        });

    private static Property CollateralIsMinimal() => CollateralIsMinimal(DmaListenerImplementation.Model);

    private static Property CollateralIsMinimal(DmaListenerImplementation listener) =>
        Prop.ForAll(DmaGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var run = listener.Execute(c);
            bool forced = false, bruteForced = false;
            foreach (var t in run)
            {
                foreach (var step in t.Coalescing.Where(s => s.Plan is { ExceedsEntryLimit: false }))
                {
                    var plan = step.Plan!;
                    string where = $"transaction {t.Number + 1}, {step.Container.Name}";
                    var cuts = CollateralOracle.Boundaries(t.Old, c.HostPageSize).Concat(CollateralOracle.Boundaries(t.New, c.HostPageSize)).ToList();
                    var measured = CollateralOracle.Measure(step.Before, plan.Operations,
                        a => DmaVisibilityOracle.Lookup(step.Before, a), a => DmaVisibilityOracle.Translate(t.New, c.DmaOptions, a), c.Traits, cuts);
                    verdict.Expect(plan.CollateralBytes == measured.CollateralBytes,
                        () => $"{where}: the plan reports {plan.CollateralBytes} collateral bytes, executing it costs {measured.CollateralBytes}\n{plan}");
                    verdict.Expect(plan.LargestWindow == measured.LargestWindow,
                        () => $"{where}: the plan reports a largest window of {plan.LargestWindow} ioctls, executing it gives {measured.LargestWindow}\n{plan}");
                    verdict.Expect(plan.PeakLiveMappings == measured.PeakLive && plan.LiveMappingsAfter == step.After.Length,
                        () => $"{where}: the plan reports peak {plan.PeakLiveMappings} / after {plan.LiveMappingsAfter} live mappings, executing it gives {measured.PeakLive} / {step.After.Length}");
                    if (c.SplitCapable)
                    {
                        verdict.Expect(measured.CollateralBytes == 0, () => $"{where}: a split-capable backend still unmaps {measured.CollateralBytes} unchanged bytes\n{plan}");
                    }
                    else if (step.Before.Length <= 14)
                    {
                        bruteForced = true;
                        var minimum = CollateralOracle.MinimumType1Collateral(step.Before, a => DmaVisibilityOracle.Translate(t.New, c.DmaOptions, a), cuts);
                        verdict.Expect(measured.CollateralBytes == minimum,
                            () => $"{where}: the plan unmaps {measured.CollateralBytes} unchanged bytes; the history forces only {minimum}\nhistory: {string.Join(", ", step.Before)}\n{plan}");
                    }

                    forced |= measured.CollateralBytes > 0;
                }
            }

            return Classified(verdict, c, run).Classify(forced, "type1 rules forced collateral").Classify(bruteForced, "brute-force minimum checked").ToProperty();
        });

    private static Property HotplugConverges() => HotplugConverges(DmaListenerImplementation.Model);

    private static Property HotplugConverges(DmaListenerImplementation listener) =>
        Prop.ForAll(DmaGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var run = listener.Execute(c);
            var hotplugged = new HashSet<IDmaBackend>();
            foreach (var t in run)
            {
                foreach (var h in t.Hotplugs)
                {
                    hotplugged.Add(h.Container);
                    if (h.Replay.ExceedsEntryLimit)
                    {
                        verdict.Expect(h.After.IsEmpty, () => $"{h.Container.Name}: a replay refused for the entry limit was half-applied");
                    }
                    else
                    {
                        ExpectTranslates(verdict, c, h.View, h.After, $"{h.Container.Name} right after its replay");
                    }
                }

                foreach (var step in t.Coalescing.Where(s => hotplugged.Contains(s.Container) && s.Plan is { ExceedsEntryLimit: false }))
                {
                    ExpectLegal(verdict, c, step.Before, step.Operations, $"transaction {t.Number + 1}, hot-plugged {step.Container.Name}");
                    ExpectTranslates(verdict, c, t.New, step.After, $"transaction {t.Number + 1}, hot-plugged {step.Container.Name}");
                }
            }

            return Classified(verdict, c, run)
                .Classify(run.Any(t => t.Hotplugs.Any(h => h.View.Count > 0)), "hot-plug into a populated view")
                .Classify(run.Any(t => t.Coalescing.Where(s => hotplugged.Contains(s.Container)).Any(s => s.Plan!.CollateralBytes > 0)), "hot-plugged container suffered collateral")
                .ToProperty();
        });

    private static Property NaiveReproducesQemu() =>
        Prop.ForAll(DmaGenerators.Cases, c =>
        {
            var verdict = new Verdict();
            var run = ListenerRun.Execute(c);
            foreach (var t in run)
            {
                var expected = new List<DmaOperation>();
                var diff = TopologyOracle.Diff(t.Old.Ranges, t.New.Ranges);
                foreach (var deleted in diff.Deleted.OrderBy(r => r.Range.Start))
                {
                    if (DmaVisibilityOracle.SectionMap(deleted, c.DmaOptions) is { } m)
                    {
                        if (m.Iova.Size == AddressSpace.End)
                        {
                            expected.AddRange(c.Traits.SupportsUnmapAll
                                ? [new DmaOperation.UnmapAll()]
                                : [new DmaOperation.Unmap(new AddressRange(0, 1UL << 63)), new DmaOperation.Unmap(new AddressRange(1UL << 63, 1UL << 63))]);
                        }
                        else
                        {
                            expected.Add(new DmaOperation.Unmap(m.Iova));
                        }
                    }
                }

                foreach (var added in diff.Added.OrderBy(r => r.Range.Start))
                {
                    if (DmaVisibilityOracle.SectionMap(added, c.DmaOptions) is { } m)
                    {
                        expected.Add(new DmaOperation.Map(m));
                    }
                }

                foreach (var step in t.Naive)
                {
                    verdict.Expect(step.Operations.SequenceEqual(expected),
                        () => $"transaction {t.Number + 1}, {step.Container.Name}: naive ioctls\n  {string.Join("\n  ", step.Operations)}\nQEMU issues\n  {string.Join("\n  ", expected)}");
                }
            }

            return Classified(verdict, c, run).ToProperty();
        });

    private static Property EntryLimitHolds() => EntryLimitHolds(DmaListenerImplementation.Model);

    private static Property EntryLimitHolds(DmaListenerImplementation listener) =>
        Prop.ForAll(DmaGenerators.TightLimitCases, c =>
        {
            var verdict = new Verdict();
            var run = listener.Execute(c);
            bool refused = false;
            foreach (var t in run)
            {
                foreach (var step in t.Coalescing)
                {
                    var plan = step.Plan!;
                    string where = $"transaction {t.Number + 1}, {step.Container.Name}";
                    var measured = CollateralOracle.Measure(step.Before, plan.Operations, a => null, a => null, c.Traits with { EntryLimit = int.MaxValue });
                    if (plan.IsEmpty && plan.ExceedsEntryLimit)
                    {
                        // Too many new mappings to list: the claim is checked against the fixed-granule arithmetic.
                        verdict.Expect(c.Granularity == MappingGranularity.FixedGranule && plan.PeakLiveMappings > c.EntryLimit,
                            () => $"{where}: an empty plan is refused for the entry limit without a fixed granule to explain it");
                    }
                    else
                    {
                        verdict.Expect(plan.ExceedsEntryLimit == measured.PeakLive > c.EntryLimit,
                            () => $"{where}: the plan peaks at {measured.PeakLive} live mappings (limit {c.EntryLimit}) but reports ExceedsEntryLimit={plan.ExceedsEntryLimit}");
                    }

                    verdict.Expect(step.After.Length <= c.EntryLimit, () => $"{where}: {step.After.Length} live mappings, limit {c.EntryLimit}");
                    if (plan.ExceedsEntryLimit)
                    {
                        refused = true;
                        verdict.Expect(step.After.SequenceEqual(step.Before), () => $"{where}: a refused plan was half-applied");
                    }
                }
            }

            return verdict.Classify(refused, "a plan was refused").Classify(!refused, "every plan fit").ToProperty();
        });

    // The naive listener has no entry-limit planning: once a MAP fails with ENOSPC its container is
    // wrong by design (QEMU aborts there), so its later steps are not held to DL-01/DL-02.
    private static bool NaiveFits(DmaCase c, ContainerStep step) => step.After.Length < c.EntryLimit && step.Before.Length < c.EntryLimit;

    private static void ExpectTranslates(Verdict verdict, DmaCase c, FlatView view, IReadOnlyList<DmaMapping> mappings, string where)
    {
        foreach (ulong a in CellStarts(view, mappings))
        {
            var expected = DmaVisibilityOracle.Translate(view, c.DmaOptions, a);
            var actual = DmaVisibilityOracle.Lookup(mappings, a);
            verdict.Expect(expected == actual, () => $"{where}: IOVA 0x{a:x} reaches {actual?.ToString() ?? "nothing"}, the view makes it {expected?.ToString() ?? "nothing"}");
        }
    }

    private static void ExpectLegal(Verdict verdict, DmaCase c, IReadOnlyList<DmaMapping> before, IReadOnlyList<DmaOperation> operations, string where)
    {
        var ledger = new Type1Ledger(c.Traits with { EntryLimit = int.MaxValue }, before);
        foreach (var op in operations)
        {
            var result = ledger.Apply(op);
            verdict.Expect(result.Succeeded, () => $"{where}: {op} is illegal here ({result.Error}); live: {string.Join(", ", ledger.Mappings)}");
        }
    }

    private static bool SameTranslation(DmaCase c, FlatView a, FlatView b) =>
        CellStarts(a, []).Union(CellStarts(b, [])).All(x => DmaVisibilityOracle.Translate(a, c.DmaOptions, x) == DmaVisibilityOracle.Translate(b, c.DmaOptions, x));

    /// <summary>The first address of every cell cut by the view's ranges, their rounding to either host page size
    /// (where mapped interiors begin and end), and the mappings: translation is linear inside each cell, so
    /// checking its first byte checks all of it.</summary>
    private static SortedSet<ulong> CellStarts(FlatView view, IReadOnlyList<DmaMapping> mappings)
    {
        var cuts = CollateralOracle.Boundaries(view, 0x1000)
            .Concat(CollateralOracle.Boundaries(view, 0x1_0000))
            .Concat(mappings.SelectMany(m => new UInt128[] { m.Iova.Start, m.Iova.End }));
        return new SortedSet<ulong>(cuts.Where(x => x < AddressSpace.End).Select(x => (ulong)x).Append(0UL));
    }

    private static Verdict Classified(Verdict verdict, DmaCase c, IReadOnlyList<TransactionRecord> run) =>
        verdict
            .Classify(c.Layout is not null, "realistic machine")
            .Classify(c.HostPageSize == 0x1_0000, "64 KiB host pages")
            .Classify(c.SplitCapable, "split-capable backend")
            .Classify(c.Layout is not null && !c.SplitCapable, "real type1 containers (pins, x86-64 domain)")
            .Classify(c.Granularity != MappingGranularity.PerRange, $"granularity {c.Granularity}")
            .Classify(!c.Hotplugs.IsEmpty, "with hot-plug")
            .Classify(run.Any(t => t.Coalescing.Any(s => s.Plan is { IsEmpty: false })), "non-empty plan")
            .Classify(run.Any(t => t.New.Ranges.Any(r => r.Range.EndsAtTop && r.Kind == Verify.MemoryMap.Regions.RegionKind.Ram)), "RAM ending at 2^64");
}
