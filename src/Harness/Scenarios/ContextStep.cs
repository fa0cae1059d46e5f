using Verify.Harness.Hosts;
using Verify.IommuModel.GuestIommu;

namespace Verify.Harness.Scenarios;

/// <summary>The guest sets a device's context entry: none, passthrough, or a domain (which may switch domains).</summary>
/// <param name="Device">The device.</param>
/// <param name="Entry">The entry.</param>
public sealed record ContextStep(string Device, ContextEntry Entry) : GuestIommuStep
{
    /// <summary>The <c>context</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ContextStep>("context", ["device", "entry", "domain"], Read, (s, w) =>
    {
        w.WriteString("device", s.Device);
        w.WriteString("entry", s.Entry.Kind.ToString().ToLowerInvariant());
        if (s.Entry.Kind == ContextKind.Domain) { w.WriteNumber("domain", s.Entry.Domain); }
    });


    internal override void Run(ScenarioMachine machine) =>
        machine.Guest.Run(rig => machine.Guest.Answered(Device, rig.SetContext(Device, Entry), $"context {Entry}"));

    private static ContextStep Read(JsonWalker b)
    {
        string device = b.String("device");
        string entry = b.String("entry");
        string at = JsonWalker.Child(b.Path, "entry");
        if (!ScenarioVocabulary.ContextEntries.Contains(entry))
        {
            throw new ScenarioFormatException(at, $"expected one of {string.Join(", ", ScenarioVocabulary.ContextEntries)}, got \"{entry}\"");
        }

        if (entry != "domain")
        {
            if (b.Has("domain"))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "domain"), $"only a 'domain' entry names a domain; this one is '{entry}'");
            }

            return new ContextStep(device, entry == "none" ? ContextEntry.None : ContextEntry.Passthrough);
        }

        return new ContextStep(device, ContextEntry.InDomain(b.Int("domain", 1, int.MaxValue)));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Device}: context {Entry}";
}
