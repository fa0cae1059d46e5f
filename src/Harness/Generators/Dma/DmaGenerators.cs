using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.MemoryMap;
using Verify.Harness.Layouts;
using Verify.Vfio;

namespace Verify.Harness.Generators.Dma;

/// <summary>Generators (with shrinkers) of DMA listener cases: arbitrary trees and realistic machines, 4 KiB and
/// 64 KiB host pages, every mapping granularity, type1 and split-capable backends, small entry limits, and
/// containers hot-plugged at random points.</summary>
public static class DmaGenerators
{
    /// <summary>Cases with the default entry limit.</summary>
    public static Arbitrary<DmaCase> Cases { get; } = Arb.From(Case(Gen.Constant(DmaBackendTraits.DefaultEntryLimit)), c => c.Shrink());

    /// <summary>Cases whose containers accept only a handful of mappings (DL-07).</summary>
    public static Arbitrary<DmaCase> TightLimitCases { get; } = Arb.From(Case(Gen.Choose(1, 6)), c => c.Shrink());

    /// <summary>Translation-keeping re-layouts of a view (DL-03).</summary>
    public static Arbitrary<Relayout> Relayouts { get; } = Arb.From(
        from steps in Gen.ListOf(
            from kind in Gen.Frequency((3, Gen.Constant(RelayoutKind.Split)), (2, Gen.Constant(RelayoutKind.MergeAll)), (1, Gen.Constant(RelayoutKind.ToggleDirty)))
            from index in Gen.Choose(0, 15)
            from fraction in Gen.Choose(1, 15)
            select new RelayoutStep(kind, index, fraction)).Resize(4)
        select new Relayout([.. steps]),
        r => r.Shrink());

    private static Gen<DmaCase> Case(Gen<int> entryLimit) =>
        from source in Gen.Frequency(
            (1, MemoryMapGenerators.TransactionCases.Generator.Select(t => (Tree: (TreeTransactionCase?)t, Layout: (LayoutCase?)null, Steps: t.Operations.Length + 1))),
            (1, LayoutGenerators.Cases.Generator.Select(l => (Tree: (TreeTransactionCase?)null, Layout: (LayoutCase?)l, Steps: l.Operations.Length + 1))))
        from page in Gen.Frequency((3, Gen.Constant(0x1000UL)), (1, Gen.Constant(0x1_0000UL)))
        from granularity in Gen.Elements(Enum.GetValues<MappingGranularity>())
        from split in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from limit in entryLimit
        from hotplugs in Gen.SubListOf(Enumerable.Range(0, source.Steps).ToArray())
        from unmapAll in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        select new DmaCase(source.Tree, source.Layout, page, granularity, split, limit, [.. hotplugs.Take(3)], unmapAll);
}
