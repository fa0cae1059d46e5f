using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Places a defined region in a parent (<c>memory_region_add_subregion_overlap</c>).</summary>
/// <param name="Child">The region to place.</param>
/// <param name="Parent">Where.</param>
/// <param name="Address">Offset in the parent.</param>
/// <param name="Priority">Priority among siblings.</param>
public sealed record PlaceStep(string Child, string Parent, ulong Address, int Priority) : ScenarioStep
{
    /// <summary>The <c>place</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PlaceStep>("place", ["child", "parent", "address", "priority"],
        b => new PlaceStep(b.String("child"), b.String("parent"), b.Address("address"), b.OptionalInt("priority", int.MinValue, int.MaxValue) ?? 0),
        (s, w) =>
        {
            w.WriteString("child", s.Child);
            w.WriteString("parent", s.Parent);
            ScenarioJson.Number(w, "address", s.Address);
            if (s.Priority != 0) { w.WriteNumber("priority", s.Priority); }
        });


    internal override void Run(ScenarioMachine machine) =>
        TreeEdits.Say(machine, machine.MemoryMap.Edit(t => t.AddSubregion(Parent, Child, Address, Priority), o => o.Place(Parent, Child, Address, Priority)));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"place {Child} in {Parent} at 0x{Address:x} prio {Priority}");
}
