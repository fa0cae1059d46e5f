using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Scenarios;

/// <summary>Creates an empty standalone IOMMU page table with its IOTLB (docs/semantics.md 4).</summary>
/// <param name="Name">The table's name.</param>
/// <param name="Options">Format, split policy, live-leaf and sub-table policies, invalidation, strict or lazy.</param>
public sealed record PageTableStep(string Name, PageTableOptions Options) : ScenarioStep
{
    /// <summary>The <c>page-table</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableStep>("page-table",
        ["name", "format", "split", "live-leaf", "sub-table", "invalidation", "flush", "threshold", "max-table-pages"], Read, Write);


    internal override void Run(ScenarioMachine machine)
    {
        machine.PageTables.Create(Name, Options);
        machine.Log.Say("created, empty");
    }

    private static PageTableStep Read(JsonWalker b)
    {
        string name = b.String("name");
        var options = new PageTableOptions
        {
            Format = b.Choice("format", ScenarioVocabulary.Formats),
            Split = b.Has("split") ? b.Choice("split", ScenarioVocabulary.SplitPolicies) : SplitPolicy.Split,
            LiveLeaf = b.Has("live-leaf") ? b.Choice("live-leaf", ScenarioVocabulary.LiveLeafPolicies) : LiveLeafPolicy.Eexist,
            SubTable = b.Has("sub-table") ? b.Choice("sub-table", ScenarioVocabulary.SubTablePolicies) : SubTablePolicy.DestroySubTable,
            Invalidation = b.Has("invalidation") ? b.Choice("invalidation", ScenarioVocabulary.InvalidationModes) : InvalidationMode.PerLeaf,
            Flush = b.Has("flush") ? b.Choice("flush", ScenarioVocabulary.FlushModes) : FlushMode.Strict,
            WholeDomainThreshold = b.OptionalInt("threshold", 1, int.MaxValue) ?? PageTableOptions.DefaultWholeDomainThreshold,
            MaxTablePages = b.OptionalInt("max-table-pages", 1, int.MaxValue),
        };
        return new PageTableStep(name, options);
    }

    private static void Write(PageTableStep s, System.Text.Json.Utf8JsonWriter w)
    {
        var o = s.Options;
        var d = PageTableOptions.Default;
        w.WriteString("name", s.Name);
        w.WriteString("format", o.Format.Name);
        if (o.Split != d.Split) { w.WriteString("split", ScenarioVocabulary.NameOf(ScenarioVocabulary.SplitPolicies, o.Split)); }
        if (o.LiveLeaf != d.LiveLeaf) { w.WriteString("live-leaf", ScenarioVocabulary.NameOf(ScenarioVocabulary.LiveLeafPolicies, o.LiveLeaf)); }
        if (o.SubTable != d.SubTable) { w.WriteString("sub-table", ScenarioVocabulary.NameOf(ScenarioVocabulary.SubTablePolicies, o.SubTable)); }
        if (o.Invalidation != d.Invalidation) { w.WriteString("invalidation", ScenarioVocabulary.NameOf(ScenarioVocabulary.InvalidationModes, o.Invalidation)); }
        if (o.Flush != d.Flush) { w.WriteString("flush", ScenarioVocabulary.NameOf(ScenarioVocabulary.FlushModes, o.Flush)); }
        if (o.WholeDomainThreshold != d.WholeDomainThreshold) { w.WriteNumber("threshold", o.WholeDomainThreshold); }
        if (o.MaxTablePages is { } max) { w.WriteNumber("max-table-pages", max); }
    }

    /// <inheritdoc/>
    public override string ToString() => $"page-table {Name}: {Options}";
}
