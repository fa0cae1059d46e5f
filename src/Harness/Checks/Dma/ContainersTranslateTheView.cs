using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Checks.Dma;

/// <summary>
/// DL-01 (docs/semantics.md 2.4, 3): after every transaction, hotplug and unplug, each container a listener drives
/// translates exactly the DMA-visible pages of the view (a plan refused for the entry limit keeps the old mappings,
/// DL-07's business). For a type1 container with domains the host side agrees too: each mapping's first and last page
/// walk in every domain to the host page the process's memory puts there, with the mapping's rights, and that page is
/// pinned or reserved.
/// </summary>
public sealed class ContainersTranslateTheView() : ScenarioCheck("DL-01")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (var c in dma.Containers.Values)
        {
            if (!DmaProbes.Follows(dma, c) || DmaProbes.PlanOf(c) is { ExceedsEntryLimit: true })
            {
                continue;
            }

            DmaProbes.ExpectTranslates(context, c, context.Machine.MemoryMap.View, c.Listener!.Options, "");
            if (c.Backend.Type1 is { Domains.Count: > 0 } type1)
            {
                ExpectHostSideAgrees(context, c, type1);
                context.Label("real type1 containers (pins, IOMMU domain)");
            }
        }
    }

    private static void ExpectHostSideAgrees(CheckContext context, Hosts.ContainerState c, Type1Container type1)
    {
        var memory = DmaProbes.Declared(c);
        var process = c.Backend.Process!;
        foreach (var m in type1.Type1Mappings)
        {
            foreach (ulong at in new[] { 0UL, m.Size - 0x1000 })
            {
                if (!memory.Resolve(m.Vaddr + at, 0x1000, out var pieces) || pieces.Count != 1)
                {
                    context.Expect(false, () => $"{c.Name}: {m} has no host page at vaddr 0x{m.Vaddr + at:x}");
                    continue;
                }

                ulong hpa = (ulong)pieces[0].Hpa;
                context.Expect(process.PinCount(hpa) > 0 || pieces[0].Reserved, () => $"{c.Name}: {m} maps host page 0x{hpa:x}, which is not pinned");
                bool writable = (m.Flags & Type1MapFlags.Write) != 0;
                for (int d = 0; d < type1.Domains.Count; d++)
                {
                    var translation = type1.Domains[d].Translate(m.Iova + at);
                    int domain = d;
                    context.Expect(translation is { } t && t.Pa == hpa && ((t.Protection & Protection.Write) != 0) == writable,
                        () => $"{c.Name}: domain {domain} translates iova 0x{m.Iova + at:x} to {translation?.ToString() ?? "nothing"}, "
                            + $"but {m} puts host page 0x{hpa:x} {(writable ? "rw" : "ro")} there");
                }
            }
        }
    }
}
