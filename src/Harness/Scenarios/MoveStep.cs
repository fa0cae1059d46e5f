using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Moves a placed region (<c>memory_region_set_address</c>).</summary>
/// <param name="Region">A placed region.</param>
/// <param name="Address">The new offset in its parent.</param>
public sealed record MoveStep(string Region, ulong Address) : ScenarioStep
{
    /// <summary>The <c>move</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<MoveStep>("move", ["region", "address"], b => new MoveStep(b.String("region"), b.Address("address")), (s, w) =>
    {
        w.WriteString("region", s.Region);
        ScenarioJson.Number(w, "address", s.Address);
    });


    internal override void Run(ScenarioMachine machine) =>
        TreeEdits.Say(machine, machine.MemoryMap.Edit(t => machine.MemoryMap.Implementation.Move(t, Region, Address), o => o.Move(Region, Address)));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"move {Region} to 0x{Address:x}");
}
