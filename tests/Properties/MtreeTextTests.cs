using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators;
using Verify.Harness.Running;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;
using Xunit.Abstractions;

namespace Verify.Properties;

public class MtreeTextTests
{
    // A pc machine under KVM, as 'info mtree -f' prints it: system memory with PAM-style ROM windows, the
    // I/O space, and a PCI device's bus-master space with no rendered view.
    private const string PcDump = """
        FlatView #0
         AS "memory", root: system
         AS "cpu-memory-0", root: system
         Root memory region: system
          0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM
          00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem
          00000000000c0000-00000000000c3fff (prio 1, rom): pc.ram @00000000000c0000 KVM
          00000000000c4000-00000000000dffff (prio 1, ram): pc.ram @00000000000c4000 KVM
          00000000000e0000-00000000000fffff (prio 1, rom): pc.bios KVM
          0000000000100000-000000007fffffff (prio 0, ram): pc.ram @0000000000100000 KVM
          00000000fd000000-00000000fdffffff (prio 1, ramd): 0000:01:00.0 BAR 0 mmaps[0] KVM
          00000000fec00000-00000000fec00fff (prio 0, i/o): kvm-ioapic
          00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios KVM

        FlatView #1
         AS "I/O", root: io
         Root memory region: io
          0000000000000000-0000000000000007 (prio 0, i/o): dma-chan
          0000000000000008-000000000000000f (prio 0, i/o): dma-cont

        FlatView #2
         AS "virtio-net-pci", root: bus master container
         Root memory region: (none)
          No rendered FlatView


        """;

    [Fact]
    public void Read_RealPcDumpWithSeveralFlatViews_ReadsSectionsRangesAndAnnotations()
    {
        var dump = MtreeFlatText.Read(PcDump);

        Assert.Equal(3, dump.Sections.Length);
        var system = dump.Sections[0];
        Assert.Equal<MtreeAddressSpace>([new MtreeAddressSpace("memory", "system"), new MtreeAddressSpace("cpu-memory-0", "system")], system.AddressSpaces);
        Assert.Equal("system", system.RootRegion);
        Assert.Equal(9, system.View.Count);
        Assert.Equal(
            new FlatRange(new AddressRange(0xc0000, 0x4000), "pc.ram", RegionKind.Ram, 0xc0000, ReadOnly: true, Priority: 1), // [0xc0000, 0xc4000)
            system.View[2]);
        Assert.Equal(
            new FlatRange(new AddressRange(0xfd00_0000, 0x100_0000), "0000:01:00.0 BAR 0 mmaps[0]", RegionKind.RamDevice, 0, Priority: 1), // [0xfd000000, 0xfe000000)
            system.View[6]);
        Assert.Equal(RegionKind.Io, system.View[1].Kind); // [0xa0000, 0xc0000)
        Assert.Equal<string>(["KVM"], system.Annotations[0]);
        Assert.Empty(system.Annotations[1]);
        Assert.Equal(new AddressRange(0, 8), dump.Sections[1].View[0].Range); // [0x0, 0x8)
        Assert.Same(FlatView.Empty, dump.Sections[2].View);
        Assert.Equal("(none)", dump.Sections[2].RootRegion);
        Assert.Equal("bus master container", dump.Sections[2].AddressSpaces[0].Root);
    }

    [Fact]
    public void Write_RealPcDump_ReproducesTheTextExactly()
    {
        Assert.Equal(PcDump.ReplaceLineEndings("\n"), MtreeFlatText.Write(MtreeFlatText.Read(PcDump)));
    }

    [Fact]
    public void Read_TextReaderWithCrLf_EqualsReadOfString()
    {
        using var reader = new StringReader(PcDump.ReplaceLineEndings("\r\n"));

        Assert.Equal(MtreeFlatText.Read(PcDump), MtreeFlatText.Read(reader));
    }

    [Fact]
    public void Read_RangeEndingAtTwoToThe64_EndsAtTop()
    {
        var dump = MtreeFlatText.Read("""
            FlatView #0
             Root memory region: system
              0000000000000000-ffffffffffffffff (prio -1, i/o): pci
            """);

        var range = dump.Sections[0].View[0];
        Assert.Equal(AddressRange.WholeSpace, range.Range); // [0x0, 2^64)
        Assert.Equal(-1, range.Priority);
    }

    [Fact]
    public void Read_DetectedOverflowBeforeTheIndent_KeptAsFirstAnnotation()
    {
        var dump = MtreeFlatText.Read("""
            FlatView #0
             Root memory region: system
            [DETECTED OVERFLOW!]   00000000fffff000-00000000ffffffff (prio 0, i/o): wrapped KVM
              0000000100000000-0000000100000fff (prio 0, nv-ram): nvdimm [DETECTED OVERFLOW!]
            """);

        var section = dump.Sections[0];
        Assert.Equal<string>(["[DETECTED OVERFLOW!]", "KVM"], section.Annotations[0]); // [0xfffff000, 0x100000000)
        Assert.Equal("wrapped", section.View[0].Region);
        Assert.Equal<string>(["[DETECTED OVERFLOW!]"], section.Annotations[1]); // [0x100000000, 0x100001000)
        Assert.True(section.View[1].NonVolatile);
    }

    [Fact]
    public void Read_EmptyView_IsEmptyAndWritesBackNoRenderedFlatView()
    {
        const string text = "FlatView #0\n AS \"empty\", root: nothing\n Root memory region: nothing\n  No rendered FlatView\n\n";

        var dump = MtreeFlatText.Read(text);

        Assert.Same(FlatView.Empty, dump.Sections[0].View);
        Assert.Equal(text, MtreeFlatText.Write(dump));
    }

    [Fact]
    public void Read_MalformedRangeLine_ThrowsNamingLineAndExpectation()
    {
        var e = Assert.Throws<MtreeFormatException>(() => MtreeFlatText.Read("""
            FlatView #0
             Root memory region: system
              0000000000000000-0000000000000fff (prio 0, ram): low
              00000000000010000000000000001fff (prio 0, ram): broken
            """));

        Assert.Equal(4, e.LineNumber);
        Assert.Contains("line 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected \"START-END (prio N, KIND): NAME\", got \"  00000000000010000000000000001fff", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownKind_ThrowsNamingTheKinds()
    {
        var e = Assert.Throws<MtreeFormatException>(() => MtreeFlatText.Read(
            "FlatView #0\n Root memory region: system\n  0000000000000000-0000000000000fff (prio 0, container): system\n"));

        Assert.Equal(3, e.LineNumber);
        Assert.Contains("expected KIND ram, rom, romd, ramd or i/o", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000000000003000-0000000000004fff", "lines 3 and 4: [0x2000..0x4000) and [0x3000..0x5000) overlap")] // [0x3000, 0x5000)
    [InlineData("0000000000000000-0000000000000fff", "lines 3 and 4: [0x2000..0x4000) and [0x0..0x1000) are out of order")] // [0x0, 0x1000)
    public void Read_SecondRangeOverlapsOrPrecedesFirst_ThrowsNamingBothLineNumbers(string second, string message)
    {
        var e = Assert.Throws<MtreeFormatException>(() => MtreeFlatText.Read(
            "FlatView #0\n Root memory region: system\n" +
            "  0000000000002000-0000000000003fff (prio 0, ram): a\n" + // [0x2000, 0x4000)
            $"  {second} (prio 0, ram): b\n"));

        Assert.Equal(4, e.LineNumber);
        Assert.Equal(3, e.EarlierLineNumber);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownTrailingWords_KeptAsAnnotations()
    {
        var dump = MtreeFlatText.Read("""
            FlatView #0
             Root memory region: system
              00000000000c0000-00000000000c3fff (prio 1, rom): pc.ram @00000000000c0000 KVM future-flag x=1
              00000000000c4000-00000000000c7fff (prio 1, ram): pc.ram @00000000000c4000 owner:{dev id=ram0} extra
            """);

        var section = dump.Sections[0];
        Assert.Equal<string>(["KVM", "future-flag", "x=1"], section.Annotations[0]); // [0xc0000, 0xc4000)
        Assert.Equal<string>(["owner:{dev id=ram0}", "extra"], section.Annotations[1]); // [0xc4000, 0xc8000)
        Assert.Equal(0xc4000UL, section.View[1].OffsetInRegion);
    }

    [Fact]
    public void Write_UnknownFirstWordAtOffsetZero_WritesExplicitOffsetSoItReadsBack()
    {
        var view = FlatView.Create([new FlatRange(new AddressRange(0x1000, 0x1000), "ram", RegionKind.Ram, 0)]); // [0x1000, 0x2000)
        var dump = new MtreeFlatDump([new MtreeFlatSection([], "system", view, [["note"]])]);

        string text = MtreeFlatText.Write(dump);

        Assert.Contains("(prio 0, ram): ram @0000000000000000 note\n", text, StringComparison.Ordinal);
        Assert.Equal(dump, MtreeFlatText.Read(text));
    }

    [Fact]
    public void Read_OldAttributePairs_MapToKinds()
    {
        var view = MtreeFlatText.Read("""
            FlatView #0
             Root memory region: system
              0000000000000000-0000000000000fff (prio 0, RW): ram
              0000000000001000-0000000000001fff (prio 0, R-): bios
              0000000000002000-0000000000002fff (prio 0, -W): flash
              0000000000003000-0000000000003fff (ram): noprio
            """).Sections[0].View;

        // [0x0, 0x1000), [0x1000, 0x2000), [0x2000, 0x3000), [0x3000, 0x4000)
        Assert.Equal(
            [(RegionKind.Ram, false), (RegionKind.Ram, true), (RegionKind.Io, false), (RegionKind.Ram, false)],
            view.Select(r => (r.Kind, r.ReadOnly)));
    }

    [Fact]
    public void Read_MonitorPromptAndCommandAroundTheOutput_AreSkipped()
    {
        var dump = MtreeFlatText.Read("(qemu) info mtree -f\n" + PcDump + "\n(qemu) \n");

        Assert.Equal(MtreeFlatText.Read(PcDump), dump);
    }

    [Fact]
    public void Read_SectionsNumberedWithGaps_KeepsTheNumbersAndWritesThemBack()
    {
        string text = "FlatView #2\n Root memory region: io\n  No rendered FlatView\n\nFlatView #5\n Root memory region: system\n  No rendered FlatView\n\n";

        var dump = MtreeFlatText.Read(text);

        Assert.Equal([2, 5], dump.Numbers.ToArray());
        Assert.Equal(text, MtreeFlatText.Write(dump));
    }

    [Fact]
    public void Read_NumbersGoingBack_ThrowsSayingTwoDumpsArePastedTogether()
    {
        var e = Assert.Throws<MtreeFormatException>(() => MtreeFlatText.Read(
            "FlatView #1\n Root memory region: io\n  No rendered FlatView\n\nFlatView #0\n Root memory region: system\n  No rendered FlatView\n"));

        Assert.Equal(5, e.LineNumber);
        Assert.Contains("above #1", e.Message, StringComparison.Ordinal);
        Assert.Contains("two dumps", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  ...")]
    [InlineData("[...]")]
    [InlineData("  \u2026")]
    public void Read_HandMadeElision_ThrowsNamingTheLineAndTheElision(string elision)
    {
        var e = Assert.Throws<MtreeFormatException>(() => MtreeFlatText.Read(
            "FlatView #0\n Root memory region: system\n  0000000000000000-0000000000000fff (prio 0, ram): a\n" + elision + "\n"
            + "  0000000000002000-0000000000002fff (prio 0, ram): b\n"));

        Assert.Equal(4, e.LineNumber);
        Assert.Contains("elision", e.Message, StringComparison.Ordinal);
        Assert.Contains("shortened by hand", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kvm")]
    [InlineData("KVM")]
    [InlineData("hax")]
    public void Read_AcceleratorSuffixInAnyCase_EndsTheRegionName(string accelerator)
    {
        var section = MtreeFlatText.Read(
            $"FlatView #0\n Root memory region: system\n  0000000000000000-000000000009ffff (prio 0, ram): pc.ram {accelerator}\n").Sections[0];

        Assert.Equal("pc.ram", section.View[0].Region);
        Assert.Equal<string>([accelerator], section.Annotations[0]);
    }

    [Fact]
    public void Read_PasteStartingAtTheRootLine_IsOneViewWithoutAddressSpacesAndWritesBack()
    {
        string text = " Root memory region: system\n  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM\n\n";

        var dump = MtreeFlatText.Read(text);

        Assert.Equal(MtreeFlatStart.RootLine, dump.Start);
        var section = Assert.Single(dump.Sections);
        Assert.Empty(section.AddressSpaces);
        Assert.Equal("system", section.RootRegion);
        Assert.Equal("pc.ram", section.View[0].Region);
        Assert.Equal(text, MtreeFlatText.Write(dump));
    }

    [Fact]
    public void Read_PasteOfTheRangesAlone_IsOneViewWithAnUnknownRootAndWritesBack()
    {
        string text = "  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n\n";

        var dump = MtreeFlatText.Read(text);

        Assert.Equal(MtreeFlatStart.Ranges, dump.Start);
        Assert.Equal(MtreeFlatDump.UnknownRoot, Assert.Single(dump.Sections).RootRegion);
        Assert.Equal(2, dump.Sections[0].View.Count);
        Assert.Equal(text, MtreeFlatText.Write(dump));
    }

    [Fact]
    public void SectionFor_PasteWithoutHeader_IsTheOnlyViewForAnyAddressSpace()
    {
        var pasted = MtreeFlatText.Read("  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n");
        var whole = MtreeFlatText.Read(PcDump);

        Assert.Same(pasted.Sections[0], pasted.SectionFor("memory"));
        Assert.Equal("system", whole.SectionFor("memory")?.RootRegion);
        Assert.Null(whole.SectionFor("no-such-space"));
    }

    [Fact]
    public void MtreeFlatDump_StartingBelowTheHeaderWithAddressSpaces_IsRefused()
    {
        var section = new MtreeFlatSection([new MtreeAddressSpace("memory", "system")], "system", FlatView.Empty);

        var e = Assert.Throws<ArgumentException>(() => new MtreeFlatDump([section], null, MtreeFlatStart.RootLine));

        Assert.Contains("without address spaces", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MtreeFlatDump_NumbersThatDoNotAscend_AreRefused()
    {
        var section = new MtreeFlatSection([], "system", FlatView.Empty);

        var e = Assert.Throws<ArgumentException>(() => new MtreeFlatDump([section, section], [3, 3]));

        Assert.Contains("section 1 is numbered 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_AttributesTheTextCannotCarry_AreDropped()
    {
        var view = FlatView.Create([
            new FlatRange(new AddressRange(0, 0x1000), "bar", RegionKind.RamDevice, 0, ReadOnly: true, DirtyLogMask: 4, Unmergeable: true), // [0x0, 0x1000)
            new FlatRange(new AddressRange(0x1000, 0x1000), "flash", RegionKind.RomDevice, 0, RomdMode: false), // [0x1000, 0x2000)
            new FlatRange(new AddressRange(0x2000, 0x1000), "dmar", RegionKind.Iommu, 0), // [0x2000, 0x3000)
        ]);

        var normal = MtreeFlatText.Normalize(view);

        Assert.Equal(
            [(RegionKind.Ram, true, (byte)0, false), (RegionKind.Io, false, (byte)0, false), (RegionKind.Io, false, (byte)0, false)],
            normal.Select(r => (r.Kind, r.ReadOnly, r.DirtyLogMask, r.Unmergeable)));
        Assert.Same(normal, MtreeFlatText.Normalize(normal));
    }

    [Fact]
    public void MtreeFlatSection_RegionNameEndingInMarker_ThrowsNamingTheName()
    {
        var view = FlatView.Create([new FlatRange(new AddressRange(0, 0x1000), "ram KVM", RegionKind.Ram, 0)]); // [0x0, 0x1000)

        var e = Assert.Throws<ArgumentException>(() => new MtreeFlatSection([], "system", view));

        Assert.Equal("view", e.ParamName);
        Assert.Contains("\"ram KVM\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cases_SampleOfTwoHundred_CoversEveryKindFlagAndAnnotationStyle()
    {
        var ranges = Gen.Sample(MtreeTextGenerators.Cases.Generator, 200, new Rnd(5UL), 50)
            .SelectMany(c => c.Dump.Sections)
            .SelectMany(s => s.View.Ranges.Select((r, i) => (Range: r, Words: s.Annotations[i])))
            .ToList();

        Assert.Equal(
            [RegionKind.Ram, RegionKind.RomDevice, RegionKind.RamDevice, RegionKind.Io, RegionKind.Iommu],
            ranges.Select(r => r.Range.Kind).Distinct().Order());
        Assert.Contains(ranges, r => r.Range.ReadOnly);
        Assert.Contains(ranges, r => r.Range.NonVolatile);
        Assert.Contains(ranges, r => r.Range.Kind == RegionKind.RomDevice && !r.Range.RomdMode);
        Assert.Contains(ranges, r => r.Range.Region.Contains(' ', StringComparison.Ordinal));
        Assert.Contains(ranges, r => r.Words.Contains("[DETECTED OVERFLOW!]"));
        Assert.Contains(ranges, r => r.Words.Length > 0 && r.Words[0] == "future-flag" && r.Range.OffsetInRegion == 0);
    }

    [Fact]
    public void Read_GeneratedDumpsWithOneCharacterMutated_SucceedOrThrowMtreeFormatException()
    {
        var random = new Random(7);
        const string Alphabet = " -()@:,#\"0f[]{}\nAZ";
        var inputs = Gen.Sample(MtreeTextGenerators.Cases.Generator, 300, new Rnd(11UL), 30);
        foreach (var input in inputs)
        {
            string text = MtreeFlatText.Write(input.Dump);
            int at = random.Next(text.Length);
            string mutated = random.Next(3) switch
            {
                0 => text.Remove(at, 1),
                1 => text.Insert(at, Alphabet[random.Next(Alphabet.Length)].ToString()),
                _ => text.Remove(at, 1).Insert(at, Alphabet[random.Next(Alphabet.Length)].ToString()),
            };

            var e = Record.Exception(() => MtreeFlatText.Read(mutated));

            Assert.True(e is null or MtreeFormatException, $"{e?.GetType().Name}: {e?.Message}\n{mutated}");
        }
    }

    [Fact]
    public void Shrink_TwoSectionDump_OffersEachSectionAloneFirst()
    {
        var view = FlatView.Create([new FlatRange(new AddressRange(0, 0x1000), "x", RegionKind.Ram, 0)]); // [0x0, 0x1000)
        var section = new MtreeFlatSection([], "system", view);
        var input = new MtreeTextCase(new MtreeFlatDump([section, section]));

        var first = MtreeTextGenerators.Shrink(input).First();

        Assert.Single(first.Dump.Sections);
    }
}
