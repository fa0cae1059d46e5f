namespace Verify.Harness.Checks.Type1;

/// <summary>T1-05 (docs/semantics.md 5.2-5.3): closing a container leaves it no mapping, no leaf and no IOTLB entry in any
/// domain; when it was its process's only container, the process has nothing pinned and nothing charged; an oracle
/// following it keeps no charge either.</summary>
public sealed class CloseReturnsEveryPinAndCharge() : ScenarioCheck("T1-05")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (string name in dma.Step.Closed)
        {
            var c = dma.Containers[name];
            var type1 = c.Backend.Type1!;
            var process = c.Backend.Process!;
            context.Expect(type1.Type1Mappings.Count == 0, () => $"{name}: after close mappings remain");
            for (int d = 0; d < type1.Domains.Count; d++)
            {
                var domain = type1.Domains[d];
                int k = d;
                context.Expect(domain.Leaves().Count == 0, () => $"{name}: after close domain{k} still has {domain.Leaves().Count} leaves");
                context.Expect(!domain.Iotlb.CachedLeaves.Any(), () => $"{name}: after close domain{k}'s IOTLB still caches {string.Join(", ", domain.Iotlb.CachedLeaves)}");
            }

            bool alone = dma.Containers.Values.Count(o => o.Backend.Process == process && o.Backend.Type1 is { IsClosed: false }) == 0;
            if (alone)
            {
                context.Expect(process.LockedVm == 0, () => $"{name}: after close locked_vm is still 0x{process.LockedVm:x}");
                context.Expect(process.PinnedRuns.Count == 0, () => $"{name}: after close pins remain: {string.Join(", ", process.PinnedRuns)}");
            }

            if (dma.ShadowOf(name) is { } oracle)
            {
                context.Expect(oracle.LockedVm == 0 && oracle.Pins.Count == 0, () => $"{name}: the oracle keeps a charge after close");
            }

            var before = dma.Step.Before.GetValueOrDefault(name);
            context.Label(before is null || before.Mappings.Count == 0 ? "closed empty" : before.Mappings.Count == 1 ? "closed with one mapping" : "closed with several mappings");
        }
    }
}
