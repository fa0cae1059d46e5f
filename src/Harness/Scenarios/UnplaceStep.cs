using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Removes a region's placement (<c>memory_region_del_subregion</c>).</summary>
/// <param name="Region">A placed region.</param>
public sealed record UnplaceStep(string Region) : ScenarioStep
{
    /// <summary>The <c>unplace</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<UnplaceStep>("unplace", ["region"], b => new UnplaceStep(b.String("region")), (s, w) => w.WriteString("region", s.Region));


    internal override void Run(ScenarioMachine machine) =>
        TreeEdits.Say(machine, machine.MemoryMap.Edit(t => t.RemoveSubregion(Region), o => o.Unplace(Region)));

    /// <inheritdoc/>
    public override string ToString() => $"unplace {Region}";
}
