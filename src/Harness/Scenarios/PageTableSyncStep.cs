using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>The IOTLB sync of a table's pending gather (<c>iommu_iotlb_sync</c>, docs/semantics.md 4.5).</summary>
/// <param name="Table">The table.</param>
public sealed record PageTableSyncStep(string Table) : ScenarioStep
{
    /// <summary>The <c>pt-sync</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableSyncStep>("pt-sync", ["table"], b => new PageTableSyncStep(b.String("table")), (s, w) => w.WriteString("table", s.Table));


    internal override void Run(ScenarioMachine machine) =>
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"{machine.PageTables.Sync(Table).Commands} invalidation command(s)"));

    /// <inheritdoc/>
    public override string ToString() => $"{Table}: sync";
}
