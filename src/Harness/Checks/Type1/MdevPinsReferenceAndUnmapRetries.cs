using Verify.IommuModel.Type1;

namespace Verify.Harness.Checks.Type1;

/// <summary>T1-06 (docs/semantics.md 5.4): after every call an oracle follows, the container's external pin table (pages,
/// pfns, reference counts), the number of device callbacks so far, whether the kernel BUG happened, and the pin count
/// of every page are the oracle's: the first pin pins, later pins take a reference, the last unpin unpins, an UNMAP
/// over pins calls the devices back and retries, and the 11th retry is fatal.</summary>
public sealed class MdevPinsReferenceAndUnmapRetries() : ScenarioCheck("T1-06")
{
    private readonly Dictionary<string, (IReadOnlyList<Type1ExternalPin> Pins, int Rounds)> _before = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _before.Clear();
        foreach (var (c, type1) in Type1Probes.Containers(context.Machine.Dma))
        {
            _before[c.Name] = (type1.ExternalPins, Rounds(type1));
        }
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (string name in dma.Step.Shadowed)
        {
            if (dma.ShadowOf(name) is not { } oracle || dma.Containers[name].Backend.Type1 is not { } type1)
            {
                continue;
            }

            var pins = type1.ExternalPins;
            var wanted = oracle.ExternalPins;
            context.Expect(pins.SequenceEqual(wanted), () => $"{name}: external pins {Listed(pins)}, the oracle has {Listed(wanted)}");
            int rounds = Rounds(type1);
            context.Expect(rounds == oracle.CallbackRounds, () => $"{name}: the devices were called back {rounds} times in all, the oracle says {oracle.CallbackRounds}");
            context.Expect((type1.KernelBug is not null) == oracle.KernelBug,
                () => $"{name}: kernel BUG is {type1.KernelBug?.ToString() ?? "absent"} in the model, {(oracle.KernelBug ? "present" : "absent")} in the oracle");
            Type1Probes.ExpectSameChargeAndPins(context, dma.Containers[name], oracle);
            if (_before.TryGetValue(name, out var before))
            {
                context.Label(PinStory(context.Step, dma.Step.Type1Raw, before.Pins, pins, rounds - before.Rounds, type1.Domains.Count == 0));
            }
        }
    }

    private static int Rounds(Type1Container type1) => type1.Steps.Count(s => s.Kind == Type1StepKind.DeviceCallback);

    private static string Listed(IReadOnlyList<Type1ExternalPin> pins) => pins.Count == 0 ? "none" : string.Join(", ", pins);

    /// <summary>Which rule of docs/semantics.md 5.4 a pin, unpin or unmap exercised.</summary>
    private static string PinStory(Scenarios.ScenarioStep step, Type1Result? result, IReadOnlyList<Type1ExternalPin> before, IReadOnlyList<Type1ExternalPin> after, int rounds, bool noDomain)
    {
        static int CountAt(IReadOnlyList<Type1ExternalPin> table, ulong iova) => table.FirstOrDefault(p => p.Iova == iova).Count;
        switch (step)
        {
            case Scenarios.PinStep p when result is { Succeeded: true }:
                return before.Any(b => b.Iova >= p.Iova && CountAt(after, b.Iova) > b.Count) ? "a later pin takes a reference"
                    : noDomain ? "first pin pins and charges (no domain)" : "first pin pins (domain: not charged)";
            case Scenarios.PinStep p:
                return $"PIN -> {result}{(p.Npage > Type1Container.MaxPinPages ? " (513 pages)" : "")}";
            case Scenarios.UnpinStep when result is { Succeeded: true }:
                return before.Any(b => CountAt(after, b.Iova) == 0) ? "the last unpin unpins"
                    : before.Any(b => CountAt(after, b.Iova) < b.Count) ? "an unpin drops a reference, the page stays pinned" : "";
            case Scenarios.UnmapDmaStep when result is { KernelBug: true } && rounds > 0:
                return "unmap: the 11th retry is the kernel BUG";
            case Scenarios.UnmapDmaStep when result is { Succeeded: true } && rounds > 0:
                return rounds > 1 ? "unmap: callbacks retried, then removed" : "unmap: one callback, then removed";
            default:
                return "";
        }
    }
}
