using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;

namespace Verify.Harness.Scenarios;

/// <summary>Puts a vIOMMU in front of the machine a <see cref="LayoutStep"/> started: remapping off, no device. Its
/// devices' containers run in a process of their own.</summary>
/// <param name="Options">Kind (VT-d, virtio-iommu), caching mode, remapping switch style, RAM listener.</param>
/// <param name="Accounting">How the containers charge the process.</param>
public sealed record ViommuStep(GuestIommuOptions Options, AccountingMode Accounting) : GuestIommuStep
{
    /// <summary>The process a <c>viommu</c> step names when it names none.</summary>
    public const string DefaultProcess = "guest";

    /// <summary>The <c>viommu</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ViommuStep>("viommu", ["kind", "caching-mode", "switch", "listener", "accounting", "process", "memlock"], Read, Write);


    /// <summary>The process the containers run in.</summary>
    public string Process { get; init; } = DefaultProcess;

    /// <summary>libvirt's memlock rule for the process; null for unlimited.</summary>
    public MemlockRule? Memlock { get; init; }

    internal override void Run(ScenarioMachine machine)
    {
        machine.Guest.Create(machine.MemoryMap, machine.Dma.Processes, Options, Accounting, Process, Memlock?.Limit() ?? ulong.MaxValue);
        machine.Log.Say($"vIOMMU {machine.Guest.Rig!.Model.Options} in front of {machine.MemoryMap.Layout!.Name}; remapping off, no device");
    }

    private static ViommuStep Read(JsonWalker b)
    {
        var kind = b.Choice("kind", ScenarioVocabulary.GuestIommuKinds);
        if (kind == GuestIommuKind.VirtioIommu && b.Has("caching-mode"))
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "caching-mode"), "only a vt-d vIOMMU has a caching mode");
        }

        var options = GuestIommuOptions.Default with
        {
            Kind = kind,
            CachingMode = b.OptionalBool("caching-mode") ?? true,
            Switch = b.Has("switch") ? b.Choice("switch", ScenarioVocabulary.Switches) : RemappingSwitch.TwoTransactions,
            Listener = b.Has("listener") ? b.Choice("listener", ScenarioVocabulary.RamListeners) : RamListenerKind.QemuToday,
        };
        return new ViommuStep(options, b.Has("accounting") ? b.Choice("accounting", ScenarioVocabulary.Accountings) : AccountingMode.PerMapping)
        {
            Process = b.OptionalString("process") ?? DefaultProcess,
            Memlock = b.Optional("memlock") is { } rule ? ScenarioJson.ReadMemlockRule(rule, JsonWalker.Child(b.Path, "memlock")) : null,
        };
    }

    private static void Write(ViommuStep s, System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteString("kind", ScenarioVocabulary.NameOf(ScenarioVocabulary.GuestIommuKinds, s.Options.Kind));
        if (s.Options.Kind == GuestIommuKind.VtD && !s.Options.CachingMode) { w.WriteBoolean("caching-mode", false); }
        if (s.Options.Switch != RemappingSwitch.TwoTransactions) { w.WriteString("switch", ScenarioVocabulary.NameOf(ScenarioVocabulary.Switches, s.Options.Switch)); }
        if (s.Options.Listener != RamListenerKind.QemuToday) { w.WriteString("listener", ScenarioVocabulary.NameOf(ScenarioVocabulary.RamListeners, s.Options.Listener)); }
        if (s.Accounting != AccountingMode.PerMapping) { w.WriteString("accounting", ScenarioVocabulary.AccountingName(s.Accounting)); }
        if (s.Process != DefaultProcess) { w.WriteString("process", s.Process); }
        if (s.Memlock is { } rule)
        {
            w.WritePropertyName("memlock");
            ScenarioJson.WriteMemlockRule(w, rule);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"viommu {Options}, {ScenarioVocabulary.AccountingName(Accounting)} accounting in {Process}, memlock {Memlock?.ToString() ?? "unlimited"}");
}
