using System.Globalization;
using Verify.Harness.Hosts;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>The guest maps a range in one of its domains' page tables (with caching mode it then invalidates, which
/// is how QEMU learns of it).</summary>
/// <param name="Domain">The domain.</param>
/// <param name="Iova">The IOVA range.</param>
/// <param name="Gpa">The guest physical address it maps to.</param>
/// <param name="Writable">Whether the device may write.</param>
public sealed record GuestMapStep(int Domain, AddressRange Iova, ulong Gpa, bool Writable) : GuestIommuStep
{
    /// <summary>The <c>guest-map</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestMapStep>("guest-map", ["domain", "iova", "size", "gpa", "writable"],
        b => new GuestMapStep(b.Int("domain", 1, int.MaxValue), GuestRanges.Read(b), b.Address("gpa"), b.OptionalBool("writable") ?? true),
        (s, w) =>
        {
            w.WriteNumber("domain", s.Domain);
            ScenarioJson.Number(w, "iova", s.Iova.Start);
            ScenarioJson.Number(w, "size", s.Iova.Size);
            ScenarioJson.Number(w, "gpa", s.Gpa);
            if (!s.Writable) { w.WriteBoolean("writable", false); }
        });


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig => machine.Guest.Requested(rig.Map(Domain, Iova, Gpa, Writable)));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"guest: domain {Domain} map {Iova} -> gpa 0x{Gpa:x} {(Writable ? "rw" : "ro")}");
}
