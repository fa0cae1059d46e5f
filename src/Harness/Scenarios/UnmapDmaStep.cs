using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>A raw <c>VFIO_IOMMU_UNMAP_DMA</c> with its flags (ALL, VADDR).</summary>
/// <param name="Container">The container.</param>
/// <param name="Flags">The flags.</param>
/// <param name="Iova">IOVA (0 with ALL).</param>
/// <param name="Size">Bytes (0 with ALL).</param>
public sealed record UnmapDmaStep(string Container, Type1UnmapFlags Flags, ulong Iova, ulong Size) : ScenarioStep
{
    /// <summary>The <c>unmap-dma</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<UnmapDmaStep>("unmap-dma", ["container", "flags", "iova", "size"],
        b => new UnmapDmaStep(b.String("container"), ScenarioVocabulary.ReadFlags(b, ScenarioVocabulary.UnmapFlags, bits => (Type1UnmapFlags)bits, Type1UnmapFlags.None),
            b.OptionalAddress("iova") ?? 0, b.OptionalAddress("size") ?? 0),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            if (s.Flags != Type1UnmapFlags.None) { w.WriteString("flags", ScenarioVocabulary.UnmapFlagsName(s.Flags)); }
            if (s.Iova != 0) { ScenarioJson.Number(w, "iova", s.Iova); }
            if (s.Size != 0) { ScenarioJson.Number(w, "size", s.Size); }
        });


    internal override void Run(ScenarioMachine machine) =>
        machine.Dma.Type1Call(Container, "UNMAP_DMA", t => t.UnmapDma(Flags, Iova, Size), o => o.Unmap(Flags, Iova, Size));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Container}: UNMAP_DMA iova=0x{Iova:x} size={PageTableText.Size(Size)} flags={ScenarioVocabulary.UnmapFlagsName(Flags)}");
}
