using Verify.Harness.Hosts;
using Verify.IommuModel.GuestIommu;

namespace Verify.Harness.Scenarios;

/// <summary>The guest invalidates (globally, one domain, or some pages of one): QEMU's shadow sync runs.</summary>
/// <param name="Invalidation">What is invalidated.</param>
public sealed record GuestInvalidateStep(GuestInvalidation Invalidation) : GuestIommuStep
{
    /// <summary>The <c>invalidate</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<GuestInvalidateStep>("invalidate", ["scope", "domain", "iova", "size"], Read, (s, w) =>
    {
        var i = s.Invalidation;
        w.WriteString("scope", ScenarioVocabulary.NameOf(ScenarioVocabulary.InvalidationScopes, i.Scope));
        if (i.Scope != InvalidationScope.Global) { w.WriteNumber("domain", i.Domain); }
        if (i.Scope == InvalidationScope.Pages)
        {
            ScenarioJson.Number(w, "iova", i.Range.Start);
            ScenarioJson.Number(w, "size", i.Range.Size);
        }
    });


    internal override void Run(ScenarioMachine machine) => machine.Guest.Run(rig =>
    {
        rig.Model.Invalidate(Invalidation);
        machine.Log.Say($"invalidated {Invalidation}");
    });

    private static GuestInvalidateStep Read(JsonWalker b)
    {
        var scope = b.Choice("scope", ScenarioVocabulary.InvalidationScopes);
        if (scope == InvalidationScope.Global)
        {
            foreach (string field in new[] { "domain", "iova", "size" }.Where(b.Has))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, field), "a global invalidation names no domain and no pages");
            }

            return new GuestInvalidateStep(GuestInvalidation.Global);
        }

        int domain = b.Int("domain", 1, int.MaxValue);
        if (scope == InvalidationScope.Domain)
        {
            foreach (string field in new[] { "iova", "size" }.Where(b.Has))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, field), "a domain invalidation names no pages; use scope \"pages\"");
            }

            return new GuestInvalidateStep(GuestInvalidation.OfDomain(domain));
        }

        return new GuestInvalidateStep(GuestInvalidation.OfPages(domain, GuestRanges.Read(b)));
    }

    /// <inheritdoc/>
    public override string ToString() => $"guest: invalidate {Invalidation}";
}
