using Verify.Harness.Hosts;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>Defines a region without placing it (QEMU's <c>memory_region_init_*</c>).</summary>
/// <param name="Region">The region (no subregions).</param>
public sealed record DefineStep(MemoryRegion Region) : ScenarioStep
{
    /// <summary>The <c>define</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<DefineStep>("define", ScenarioJson.RegionFields,
        b => new DefineStep(ScenarioJson.ReadRegion(b)), (s, w) => ScenarioJson.WriteRegion(w, s.Region));


    internal override void Run(ScenarioMachine machine) =>
        TreeEdits.Say(machine, machine.MemoryMap.Edit(t => t.Define(Region), o => o.Define(Region with { Subregions = [] })));

    /// <inheritdoc/>
    public override string ToString() => $"define {Region}";
}
