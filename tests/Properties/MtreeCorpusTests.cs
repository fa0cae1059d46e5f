using Verify.MemoryMap.Text;
using Verify.Qemu;

namespace Verify.Properties;

/// <summary>
/// Real <c>info mtree</c> output collected from public sources (<c>tests/Mtree/Corpus</c>, origins in its SOURCES.md):
/// every file reads and writes back, or is refused with one line naming the line and the damage the paste did.
/// </summary>
public class MtreeCorpusTests
{
    private static readonly string Corpus = Path.Combine(RepositoryPaths.Root, "tests", "Mtree", "Corpus");

    // null: reads. Otherwise the refusal's line and a fragment of its message; each is damage the source's author did.
    private static readonly Dictionary<string, (int Line, string Fragment)?> Expected = new(StringComparer.Ordinal)
    {
        ["aarch64-virt-gicv3-kvm-elided.tree.txt"] = (17, "elision \"... skipped 30 virtio-mmio region\""),
        ["cxl-type3-nv-ram-fragment.tree.txt"] = null,
        ["microblaze-xlnx-ethlite-mdio-excerpt.flat.txt"] = null,
        ["musicpal-flash-aliased.flat.txt"] = null,
        ["musicpal-flash-aliased.tree.txt"] = (1, "a piece cut out of a tree"),
        ["musicpal-pflash-mappings-before.tree.txt"] = (1, "a piece cut out of a tree"),
        ["none-machine-qtest-qemu6.2.50.tree.txt"] = null,
        ["omap-sx1-flat-dispatch-d-elided.flat.txt"] = (11, "elision \"...\""),
        ["pc-i440fx-kvm-virtio-gpu-nvme.tree.txt"] = null,
        ["pc-i440fx-tcg-2nvme.flat.txt"] = null,
        ["pc-i440fx-tcg-cpu-smm.tree.txt"] = null,
        ["pc-i440fx-vfio-kvm-lowercase-fv0-fv3.flat.txt"] = null,
        ["pc-info-mtree-o-owner-after.tree.txt"] = null,
        ["pc-info-mtree-o-parent-before.tree.txt"] = null,
        ["pc-tcg-pam-default-no-disabled-after.tree.txt"] = (3, "targets \"pc.ram\", which is neither placed in this address space nor printed"),
        ["pc-tcg-pam-disabled-D-before.tree.txt"] = (3, "targets \"pc.ram\", which is neither placed in this address space nor printed"),
        ["pseries-virtio-kvm-lowercase.flat.txt"] = null,
        ["q35-intel-iommu-nopt.tree.txt"] = null,
        ["q35-intel-iommu-pt.tree.txt"] = null,
        ["q35-kvm-smram-smbase-dest.tree.txt"] = (4, "expected \"alias NAME @TARGET TSTART-TEND\""),
        ["q35-kvm-smram-smbase-source.tree.txt"] = (4, "expected \"alias NAME @TARGET TSTART-TEND\""),
        ["q35-ovmf-kvm-excerpt.flat.txt"] = null,
        ["q35-ovmf-kvm-excerpt.tree.txt"] = (3, "targets \"pc.ram\", which is neither placed in this address space nor printed"),
        ["q35-vfio-nvidia-kvm.flat.txt"] = null,
        ["riscv64-virt-qemu10.0.50-elided.tree.txt"] = (18, "elision \"...\""),
        ["vfio-pci-bar-msix-ramd-fragment.tree.txt"] = (1, "a piece cut out of a tree"),
        ["virtio-mem-memslots-fragment.tree.txt"] = (1, "elision \"[...]\""),
        ["xtensa-lx60-qemu2.x-rw-form.tree.txt"] = null,
    };

    private static List<string> FileNames() => [.. Directory.EnumerateFiles(Corpus, "*.txt").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Files() => [.. FileNames()];

    [Fact]
    public void Corpus_EveryFileHasAnExpectationAndASourcesRow()
    {
        string sources = File.ReadAllText(Path.Combine(Corpus, "SOURCES.md"));
        var files = FileNames();

        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), files);
        Assert.All(files, f => Assert.Contains($"| {f} |", sources, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_CorpusFile_ReadsAndWritesBackOrNamesTheDamage(string file)
    {
        string text = File.ReadAllText(Path.Combine(Corpus, file));
        bool tree = file.EndsWith(".tree.txt", StringComparison.Ordinal);
        if (Expected[file] is { } refusal)
        {
            var error = Assert.Throws<MtreeFormatException>(() => Read(text, tree));
            Assert.Equal(refusal.Line, error.LineNumber);
            Assert.Contains(refusal.Fragment, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error.Message);
            return;
        }

        var flat = Read(text, tree);
        // Written back, the listing reads as the same dump (for a tree: the listing its render prints).
        Assert.Equal(flat, MtreeFlatText.Read(MtreeFlatText.Write(flat)));
        Assert.NotEmpty(flat.Sections);
    }

    [Fact]
    public void Read_OldRwFormFromAPublicDump_SaysWhatItAssumed()
    {
        var dump = MtreeTreeText.Read(File.ReadAllText(Path.Combine(Corpus, "xtensa-lx60-qemu2.x-rw-form.tree.txt")), QemuRegionFacts.Hints);

        var assumptions = dump.Spaces.SelectMany(s => s.Assumptions).ToList();
        Assert.Contains(assumptions, a => a.Contains("\"lx60.dram\"", StringComparison.Ordinal) && a.Contains("read as RAM", StringComparison.Ordinal));
        Assert.Contains(assumptions, a => a.Contains("\"lx60.fpga\"", StringComparison.Ordinal) && a.Contains("read as MMIO", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_VtdAliasWithSubregionsFromAPublicDump_RendersTheTargetOnly()
    {
        var dump = MtreeTreeText.Read(File.ReadAllText(Path.Combine(Corpus, "q35-intel-iommu-pt.tree.txt")), QemuRegionFacts.Hints);

        // QEMU prints the vtd-ir alias under each device's vtd-nodmar alias; render_memory_region follows an alias to
        // its target and never renders the alias's own subregions, so the interrupt window comes from the target alone.
        var root = dump.Find("vtd-root")!;
        Assert.Equal("vtd-nodmar", root.Tree[root.Tree.Root].Subregions.Single().Name);
        Assert.Empty(root.Tree[root.Tree[root.Tree.Root].Subregions.Single().Name].Subregions);
        var window = Assert.Single(root.ToFlatSection().View, r => r.Region == "vtd-ir");
        Assert.Equal(0xfee00000UL, window.Range.Start);
    }

    [Fact]
    public void Render_VgaMmioFromAPublicDump_FillsItsGapsAsTheFlatListingOfThatMachineShows()
    {
        // The corpus' flat dump of a sibling VM shows vga.mmio itself between its four subregions (lines 33-39).
        var memory = Read(File.ReadAllText(Path.Combine(Corpus, "pc-i440fx-tcg-cpu-smm.tree.txt")), tree: true).SectionFor("memory")!;

        var gaps = memory.View.Where(r => r.Region == "vga.mmio").Select(r => (r.Range.Start - 0xfebf4000, r.OffsetInRegion)).ToList();
        Assert.Equal([(0x180UL, 0x180UL), (0x420UL, 0x420UL), (0x516UL, 0x516UL), (0x608UL, 0x608UL)], gaps);
    }

    // A tree reads as the flat listing its render prints; one with memory-region sections only, as theirs.
    private static MtreeFlatDump Read(string text, bool tree)
    {
        if (!tree)
        {
            return MtreeFlatText.Read(text);
        }

        var dump = MtreeTreeText.Read(text, QemuRegionFacts.Hints);
        return dump.Spaces.IsEmpty ? new MtreeFlatDump(dump.Regions.Select(r => r.ToFlatSection())) : dump.ToFlat();
    }
}
