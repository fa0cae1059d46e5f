using Verify.IommuModel.Type1;

namespace Verify.Harness.Checks.Type1;

/// <summary>T1-04 (docs/semantics.md 5.2): a page is unpinned only after every domain unmapped it and synced its IOTLB, and
/// after every step no leaf, IOTLB entry or external pin reaches a page that is not pinned or reserved.</summary>
public sealed class NeverUnpinnedWhileReachable() : ScenarioCheck("T1-04")
{
    private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override void Before(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var (c, type1) in Type1Probes.Containers(context.Machine.Dma))
        {
            _seen[c.Name] = type1.Steps.Count;
        }
    }

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var (c, type1) in Type1Probes.Containers(context.Machine.Dma))
        {
            int seen = _seen.GetValueOrDefault(c.Name);
            var steps = type1.Steps;
            for (int s = seen; s < steps.Count; s++)
            {
                if (steps[s].Kind != Type1StepKind.Unpin)
                {
                    continue;
                }

                for (int d = 0; d < type1.Domains.Count; d++)
                {
                    int unmap = LastBefore(steps, s, x => x.Kind == Type1StepKind.DomainUnmap && x.Domain == d && x.Iova == steps[s].Iova);
                    int sync = LastBefore(steps, s, x => x.Kind == Type1StepKind.IotlbSync && x.Domain == d);
                    int unpin = s, domain = d;
                    context.Expect(unmap >= seen && sync > unmap,
                        () => $"{c.Name}: {steps[unpin]} without domain{domain}'s unmap then sync before it ({string.Join(", ", steps.Skip(seen))})");
                }

                context.Label(type1.Domains.Count > 1 ? "unpin after syncing two domains" : type1.Domains.Count == 1 ? "unpin after syncing one domain" : "");
            }

            Type1Probes.ExpectReachablePinned(context, c, type1);
            context.Label(context.Step is Scenarios.DmaAccessStep && type1.Domains.Count > 0 && type1.Domains[0].Iotlb.CachedLeaves.Any(), "IOTLB holds entries");
        }
    }

    private static int LastBefore(IReadOnlyList<Type1Step> steps, int before, Func<Type1Step, bool> match)
    {
        for (int k = before - 1; k >= 0; k--)
        {
            if (match(steps[k]))
            {
                return k;
            }
        }

        return -1;
    }
}
