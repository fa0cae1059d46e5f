using Verify.Harness.Core;
using Verify.IommuModel.Host;
using Verify.Oracle.Host;
using Verify.Oracle.Type1;

namespace Verify.Harness.Checks.Type1;

/// <summary>
/// T1-03 (docs/semantics.md 5.3-5.4): after every step, each process's pinned memory is exactly the non-reserved memory
/// behind the live mappings of its containers that have a domain and behind every external pin, and its
/// <c>locked_vm</c> is their total (per-mapping) or that memory counted once (shared), reserved pfns free and mdev pins
/// charged only without a domain; a container an oracle follows has the oracle's charge and pin counts page by page.
/// The memory behind a mapping is what its vaddr held at MAP time: a MAP with VADDR re-pins nothing (semantics 5.1).
/// </summary>
public sealed class LockedVmMatchesOracle() : ScenarioCheck("T1-03")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (var (name, process) in dma.Processes.Processes)
        {
            var own = dma.Containers.Values.Where(c => c.Backend.Process == process && c.Backend.Type1 is not null).ToList();
            var memory = new DeclaredMemory(process.VirtualRuns, process.ReservedRanges, process.RlimitMemlock, process.CapIpcLock);
            var mappings = own.Where(c => c.Backend.Type1!.Domains.Count > 0).SelectMany(c => c.Backend.Type1!.Type1Mappings).Select(m => (m.PinnedVaddr, m.Size));
            var external = own.SelectMany(c => c.Backend.Type1!.ExternalPins.Select(p => (p.Hpa, c.Backend.Type1.Options.MinPageSize, c.Backend.Type1.Domains.Count == 0)));
            var (expectedPins, perMapping) = Type1Accounting.Expected(memory, mappings, external);
            var actualPins = Type1Accounting.Union(process.PinnedRuns.Select(r => ((UInt128)r.Hpa, r.End)));
            context.Expect(expectedPins.SequenceEqual(actualPins), () => $"process {name}: pinned {Show(actualPins)}, the live mappings are backed by {Show(expectedPins)}");
            // A process whose containers mix the two modes is not judged: they share pin counts, which no one rule describes.
            var modes = own.Where(c => c.Backend.Type1!.Domains.Count > 0 || c.Backend.Type1.ExternalPins.Count > 0).Select(c => c.Backend.Type1!.Options.Accounting).Distinct().ToList();
            if (modes.Count == 1)
            {
                UInt128 expected = modes[0] == AccountingMode.PerMapping ? perMapping : Type1Accounting.Total(expectedPins);
                context.Expect(process.LockedVm == expected,
                    () => $"process {name}: locked_vm {ScenarioNumbers.Format(process.LockedVm)}, the live mappings charge {ScenarioNumbers.Format(expected)} ({modes[0]})");
                context.Label(process.LockedVm > 0 ? $"{modes[0]}: charged" : "");
            }
            else if (modes.Count == 0)
            {
                context.Expect(process.LockedVm == 0, () => $"process {name}: locked_vm {ScenarioNumbers.Format(process.LockedVm)} with nothing pinned");
            }
        }

        foreach (string name in dma.Step.Shadowed)
        {
            if (dma.ShadowOf(name) is { } oracle)
            {
                var pins = Type1Probes.ExpectSameChargeAndPins(context, dma.Containers[name], oracle);
                context.Label(pins.Values.Any(n => n > 1), "a page pinned twice");
            }
        }
    }

    private static string Show(List<(UInt128 Start, UInt128 End)> ranges) =>
        ranges.Count == 0 ? "nothing" : string.Join(", ", ranges.Select(r => $"hpa [0x{r.Start:x}..0x{r.End:x})"));
}
