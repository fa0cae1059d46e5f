using Verify.Harness.Hosts;
using Verify.Harness.Layouts;

namespace Verify.Harness.Scenarios;

/// <summary>An operation of the realistic machine started by a <see cref="LayoutStep"/> (PAM, BAR, ROM mode, DIMM,
/// virtio-mem); its JSON key names the operation, one codec per operation.</summary>
/// <param name="Operation">The machine operation.</param>
public sealed record MachineStep(LayoutOperation Operation) : ScenarioStep
{
    /// <summary><c>pam</c>: QEMU's <c>pam_update</c> of one segment.</summary>
    public static StepCodec Pam { get; } = Codec<LayoutOperation.SetPam>("pam", ["segment", "mode"],
        b => new LayoutOperation.SetPam(b.Int("segment", 0, 63), b.Choice("mode", ScenarioVocabulary.PamModes)),
        (p, w) =>
        {
            w.WriteNumber("segment", p.Segment);
            w.WriteString("mode", ScenarioVocabulary.NameOf(ScenarioVocabulary.PamModes, p.Mode));
        });

    /// <summary><c>bar</c>: a BAR's memory decode enable.</summary>
    public static StepCodec Bar { get; } = Codec<LayoutOperation.SetBarEnabled>("bar", ["bar", "enabled"],
        b => new LayoutOperation.SetBarEnabled(b.String("bar"), b.Bool("enabled")),
        (b, w) =>
        {
            w.WriteString("bar", b.Bar);
            w.WriteBoolean("enabled", b.Enabled);
        });

    /// <summary><c>bar-move</c>: a BAR reprogrammed.</summary>
    public static StepCodec BarMove { get; } = Codec<LayoutOperation.MoveBar>("bar-move", ["bar", "address"],
        b => new LayoutOperation.MoveBar(b.String("bar"), b.Address("address")),
        (b, w) =>
        {
            w.WriteString("bar", b.Bar);
            ScenarioJson.Number(w, "address", b.Address);
        });

    /// <summary><c>rom-mode</c>: a ROM device in or out of ROM mode.</summary>
    public static StepCodec RomMode { get; } = Codec<LayoutOperation.SetRomMode>("rom-mode", ["device", "romd"],
        b => new LayoutOperation.SetRomMode(b.String("device"), b.Bool("romd")),
        (r, w) =>
        {
            w.WriteString("device", r.Device);
            w.WriteBoolean("romd", r.RomMode);
        });

    /// <summary><c>dimm</c>: a DIMM hot-added.</summary>
    public static StepCodec Dimm { get; } = Codec<LayoutOperation.HotAddDimm>("dimm", ["slot"],
        b => new LayoutOperation.HotAddDimm(b.Int("slot", 0, 1023)), (d, w) => w.WriteNumber("slot", d.Slot));

    /// <summary><c>virtio-mem</c>: a virtio-mem memslot plugged or unplugged.</summary>
    public static StepCodec VirtioMem { get; } = Codec<LayoutOperation.SetVirtioMemBlock>("virtio-mem", ["block", "plugged"],
        b => new LayoutOperation.SetVirtioMemBlock(b.Int("block", 0, 1023), b.Bool("plugged")),
        (v, w) =>
        {
            w.WriteNumber("block", v.Block);
            w.WriteBoolean("plugged", v.Plugged);
        });


    internal override void Run(ScenarioMachine machine) => TreeEdits.Say(machine, machine.MemoryMap.Apply(Operation));

    private static StepCodec<MachineStep> Codec<T>(string kind, System.Collections.Immutable.ImmutableArray<string> fields, Func<JsonWalker, T> read, Action<T, System.Text.Json.Utf8JsonWriter> write)
        where T : LayoutOperation =>
        new(kind, fields, b => new MachineStep(read(b)), (s, w) => write((T)s.Operation, w), s => s.Operation is T);

    /// <inheritdoc/>
    public override string ToString() => Operation.ToString() ?? Kind;
}
