using Verify.Harness.Hosts;

namespace Verify.Harness.Checks.Type1;

/// <summary>T1-01 (docs/semantics.md 5.1-5.2, 5.4): every direct call to a type1 container an oracle follows (MAP_DMA,
/// UNMAP_DMA, pin, unpin, device registration, migration) returns what the oracle returns (errno, size, pfns, kernel
/// BUG), and afterwards the container holds the oracle's mappings, and every domain translates each page of them (and
/// the page after each) as the oracle does.</summary>
public sealed class ResultsAgreeWithOracle() : ScenarioCheck("T1-01")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (var answer in dma.Step.ShadowAnswers)
        {
            context.Expect(answer.Agrees, () => $"{answer.Container}: {answer.Call} returned {answer.Model}, the oracle gives {answer.Oracle}");
        }

        foreach (string name in dma.Step.Shadowed)
        {
            if (dma.ShadowOf(name) is not { } oracle || dma.Containers[name].Backend.Type1 is not { } type1)
            {
                continue;
            }

            var live = type1.Type1Mappings;
            context.Expect(live.SequenceEqual(oracle.Mappings), () => $"{name}: holds {string.Join(", ", live)}, the oracle {string.Join(", ", oracle.Mappings)}");
            ulong page = type1.Options.MinPageSize;
            foreach (var m in oracle.Mappings)
            {
                for (UInt128 off = 0; off <= m.Size && m.Iova + off <= ulong.MaxValue; off += page)
                {
                    ulong iova = (ulong)(m.Iova + off);
                    var want = oracle.Translate(iova);
                    for (int d = 0; d < type1.Domains.Count; d++)
                    {
                        var got = type1.Domains[d].Translate(iova);
                        int domain = d;
                        context.Expect(got == want, () => $"{name}: domain{domain} translates 0x{iova:x} to {got?.ToString() ?? "nothing"}, the oracle to {want?.ToString() ?? "nothing"}");
                    }
                }
            }

            context.Label(type1.Domains.Count == 0 ? "no domain (mdev only): nothing pinned" : "");
            context.Label(page == 0x1_0000 ? "64K pages" : "");
        }

        if (dma.Step.Type1Raw is { } result && dma.Step.DirectCall is { } called && dma.Step.Shadowed.Contains(called))
        {
            context.Label($"{Verb(context)} -> {(result.KernelBug ? "kernel BUG" : result.Succeeded ? "ok" : result.Error.ToString())}");
        }
    }

    private static string Verb(CheckContext context) => context.Step switch
    {
        Scenarios.MapDmaStep { Flags: var f } when (f & IommuModel.Type1.Type1MapFlags.Vaddr) != 0 => "MAP VADDR",
        Scenarios.MapDmaStep => "MAP",
        Scenarios.UnmapDmaStep { Flags: var f } when (f & IommuModel.Type1.Type1UnmapFlags.Vaddr) != 0 => "UNMAP VADDR",
        Scenarios.UnmapDmaStep { Flags: var f } when (f & IommuModel.Type1.Type1UnmapFlags.All) != 0 => "UNMAP ALL",
        Scenarios.UnmapDmaStep => "UNMAP",
        Scenarios.PinStep => "PIN",
        Scenarios.UnpinStep => "UNPIN",
        _ => context.Step.Kind,
    };
}
