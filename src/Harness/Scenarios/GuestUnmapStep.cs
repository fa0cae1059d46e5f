using System.Globalization;
using Verify.Harness.Hosts;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>The guest unmaps a range of one of its domains' page tables.</summary>
/// <param name="Domain">The domain.</param>
/// <param name="Iova">The IOVA range.</param>
public sealed record GuestUnmapStep(int Domain, AddressRange Iova) : GuestIommuStep
{
    /// <summary>The <c>guest-unmap</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestUnmapStep>("guest-unmap", ["domain", "iova", "size"],
        b => new GuestUnmapStep(b.Int("domain", 1, int.MaxValue), GuestRanges.Read(b)),
        (s, w) =>
        {
            w.WriteNumber("domain", s.Domain);
            ScenarioJson.Number(w, "iova", s.Iova.Start);
            ScenarioJson.Number(w, "size", s.Iova.Size);
        });


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig => machine.Guest.Requested(rig.Unmap(Domain, Iova)));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"guest: domain {Domain} unmap {Iova}");
}
