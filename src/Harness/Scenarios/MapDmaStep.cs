using System.Globalization;
using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>A raw <c>VFIO_IOMMU_MAP_DMA</c> at a host virtual address, with its flags (the VADDR pair among them).</summary>
/// <param name="Container">The container.</param>
/// <param name="Flags">The flags (possibly ones the kernel refuses).</param>
/// <param name="Iova">IOVA.</param>
/// <param name="Vaddr">Host virtual address.</param>
/// <param name="Size">Bytes.</param>
public sealed record MapDmaStep(string Container, Type1MapFlags Flags, ulong Iova, ulong Vaddr, ulong Size) : ScenarioStep
{
    /// <summary>The <c>map-dma</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<MapDmaStep>("map-dma", ["container", "flags", "iova", "vaddr", "size"],
        b => new MapDmaStep(b.String("container"), ScenarioVocabulary.ReadFlags(b, ScenarioVocabulary.MapFlags, bits => (Type1MapFlags)bits, Type1MapFlags.Read | Type1MapFlags.Write),
            b.Address("iova"), b.Address("vaddr"), b.Address("size")),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            if (s.Flags != (Type1MapFlags.Read | Type1MapFlags.Write)) { w.WriteString("flags", ScenarioVocabulary.MapFlagsName(s.Flags)); }
            ScenarioJson.Number(w, "iova", s.Iova);
            ScenarioJson.Number(w, "vaddr", s.Vaddr);
            ScenarioJson.Number(w, "size", s.Size);
        });


    internal override void Run(ScenarioMachine machine) =>
        machine.Dma.Type1Call(Container, "MAP_DMA", t => t.MapDma(Flags, Iova, Vaddr, Size), o => o.Map(Flags, Iova, Vaddr, Size));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Container}: MAP_DMA iova=0x{Iova:x} vaddr=0x{Vaddr:x} size={PageTableText.Size(Size)} {ScenarioVocabulary.MapFlagsName(Flags)}");
}
