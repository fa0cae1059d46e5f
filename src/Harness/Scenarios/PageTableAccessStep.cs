using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>The device reads one address through a table's IOTLB, filling it and the walk cache as DMA would.</summary>
/// <param name="Table">The table.</param>
/// <param name="Iova">The address.</param>
public sealed record PageTableAccessStep(string Table, ulong Iova) : ScenarioStep
{
    /// <summary>The <c>pt-access</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableAccessStep>("pt-access", ["table", "iova"],
        b => new PageTableAccessStep(b.String("table"), b.Address("iova")),
        (s, w) =>
        {
            w.WriteString("table", s.Table);
            ScenarioJson.Number(w, "iova", s.Iova);
        });


    internal override void Run(ScenarioMachine machine)
    {
        var got = machine.PageTables.Access(Table, Iova);
        if (machine.Log.Describing)
        {
            machine.Log.Say($"the device gets {got?.ToString() ?? "a fault"}");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Table}: device access 0x{Iova:x}");
}
