using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>The device touches the first, middle and last smallest page of every leaf the definition holds (up to a
/// number of leaves), filling a table's IOTLB and walk cache the way DMA would, so that a later sync has something to
/// leave stale (PT-05).</summary>
/// <param name="Table">The table.</param>
/// <param name="Leaves">How many leaves at most, lowest first.</param>
public sealed record PageTableTouchStep(string Table, int Leaves) : ScenarioStep
{
    /// <summary>The <c>pt-touch</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableTouchStep>("pt-touch", ["table", "leaves"],
        b => new PageTableTouchStep(b.String("table"), b.OptionalInt("leaves", 1, int.MaxValue) ?? 256),
        (s, w) =>
        {
            w.WriteString("table", s.Table);
            if (s.Leaves != 256) { w.WriteNumber("leaves", s.Leaves); }
        });

    internal override void Run(ScenarioMachine machine)
    {
        var t = machine.PageTables.Tables.GetValueOrDefault(Table) ?? throw new StepException($"no page table named '{Table}'; create it with a 'page-table' step");
        ulong granule = t.Options.Format.Granule;
        var leaves = t.Oracle is { } oracle
            ? oracle.Leaves.Take(Leaves).Select(l => (l.Iova, l.Size)).ToList()
            : t.Table!.Leaves().Take(Leaves).Select(l => (l.Iova, l.Size)).ToList();
        int accesses = 0;
        foreach (var (iova, size) in leaves)
        {
            foreach (ulong at in new[] { iova, iova + (size / 2 / granule * granule), iova + size - granule }.Distinct())
            {
                t.DeviceAccess(at);
                accesses++;
            }
        }

        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"{accesses} device access(es)"));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Table}: the device touches every leaf (up to {Leaves})");
}
