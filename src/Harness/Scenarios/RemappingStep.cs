using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>The guest switches DMA remapping on or off globally (QEMU: two transactions, or atomically).</summary>
/// <param name="On">Whether remapping is on afterwards.</param>
public sealed record RemappingStep(bool On) : GuestIommuStep
{
    /// <summary>The <c>remapping</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<RemappingStep>("remapping", ["on"], b => new RemappingStep(b.Bool("on")), (s, w) => w.WriteBoolean("on", s.On));


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig =>
    {
        rig.SetRemapping(On);
        machine.Log.Say($"DMA remapping {(On ? "on" : "off")}");
    });

    /// <inheritdoc/>
    public override string ToString() => $"guest: DMA remapping {(On ? "on" : "off")}";
}
