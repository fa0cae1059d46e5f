using System.Collections.Immutable;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;

namespace Verify.Properties;

/// <summary>Examples of reading QEMU's <c>info mtree</c> tree listing into region trees.</summary>
public class MtreeTreeTextTests
{
    // A cut-down pc as QEMU 7.2 prints it: RAM below 4G through an alias, the PCI space placed under system and
    // also printed as an alias target, a read-only PAM alias (printed "ram", the type of its target) and a
    // PAM window onto PCI.
    private const string PcTree = """
        address-space: cpu-memory-0
        address-space: memory
          0000000000000000-ffffffffffffffff (prio 0, i/o): system
            0000000000000000-000000001fffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-000000001fffffff
            0000000000000000-ffffffffffffffff (prio -1, i/o): pci
              00000000000c0000-00000000000dffff (prio 1, rom): pc.rom
            00000000000c0000-00000000000c3fff (prio 1, ram): alias pam-rom @pc.ram 00000000000c0000-00000000000c3fff
            00000000000c4000-00000000000c7fff (prio 1, i/o): alias pam-pci @pci 00000000000c4000-00000000000c7fff
            00000000000c8000-00000000000cbfff (prio 1, i/o): alias pam-pci @pci 00000000000c8000-00000000000cbfff

        memory-region: pc.ram
          0000000000000000-000000001fffffff (prio 0, ram): pc.ram

        memory-region: pci
          0000000000000000-ffffffffffffffff (prio -1, i/o): pci
            00000000000c0000-00000000000dffff (prio 1, rom): pc.rom

        """;

    private static readonly MtreeTreeHints PamRomReadOnly = MtreeTreeHints.None with
    {
        ReadOnlyAliases = ImmutableHashSet.Create(StringComparer.Ordinal, "pam-rom"),
    };

    [Fact]
    public void Read_AliasLine_DefinesAliasOfTheTargetAtTheWindowStart()
    {
        var tree = MtreeTreeText.Read(PcTree).Find("memory")!.Tree;

        var alias = tree["pam-rom"];

        // placed at [0xc0000, 0xc4000) of system, showing [0xc0000, 0xc4000) of pc.ram
        Assert.Equal((RegionKind.Alias, "pc.ram", 0xc0000UL, (UInt128)0x4000), (alias.Kind, alias.AliasTarget, alias.AliasOffset, alias.Size));
        Assert.Equal(new Subregion("pam-rom", 0xc0000, 1, tree.PlacementOf("pam-rom").Sequence), tree.PlacementOf("pam-rom"));
    }

    [Fact]
    public void Read_AddressSpacesSharingARoot_ShareOneTree()
    {
        var dump = MtreeTreeText.Read(PcTree);

        var space = Assert.Single(dump.Spaces);
        Assert.Equal(["cpu-memory-0", "memory"], space.Names.ToArray());
        Assert.Same(space, dump.Find("cpu-memory-0"));
        Assert.Equal(["pc.ram", "pci"], dump.MemoryRegions.ToArray());
    }

    [Fact]
    public void Read_TargetPlacedInTheTreeAndPrintedAsSection_IsOneRegion()
    {
        var tree = MtreeTreeText.Read(PcTree).Find("memory")!.Tree;

        Assert.Equal("system", tree.ParentOf("pci"));
        Assert.False(tree.Contains("pci#2"));
        Assert.False(tree.Contains("pc.rom#2"));
        Assert.Equal("pci", tree["pam-pci"].AliasTarget);
    }

    [Fact]
    public void Read_RepeatedAliasNames_LaterOnesGetASuffixAndPrintBackUnchanged()
    {
        var space = MtreeTreeText.Read(PcTree).Find("memory")!;

        Assert.Equal("pci", space.Tree["pam-pci#2"].AliasTarget);
        Assert.Equal("pam-pci", space.PrintedName("pam-pci#2"));
        Assert.Equal("pc.ram", space.PrintedName("pc.ram"));
    }

    [Fact]
    public void Read_ReadOnlyAliasHint_RendersTheWindowReadOnly()
    {
        var withHint = MtreeTreeText.Read(PcTree, PamRomReadOnly).Find("memory")!.Tree.Render();
        var without = MtreeTreeText.Read(PcTree).Find("memory")!.Tree.Render();

        // [0xc0000, 0xc4000): pc.ram through pam-rom
        Assert.True(withHint.TryLookup(0xc0000, out var range, out _));
        Assert.Equal(("pc.ram", true, AddressRange.FromBounds(0xc0000, 0xc4000)), (range.Region, range.ReadOnly, range.Range));
        Assert.True(without.TryLookup(0xc0000, out var writable, out _));
        Assert.False(writable.ReadOnly);
    }

    [Fact]
    public void Read_PamWindowOntoPci_RendersTheRomBehindIt()
    {
        var view = MtreeTreeText.Read(PcTree, PamRomReadOnly).Find("memory")!.Tree.Render();

        // [0xc4000, 0xc8000): pc.rom at offset 0x4000, through pam-pci -> pci -> pc.rom
        Assert.True(view.TryLookup(0xc4000, out var range, out ulong offset));
        Assert.Equal(("pc.rom", 0x4000UL, true), (range.Region, offset, range.ReadOnly));
    }

    [Fact]
    public void Read_WholeSpaceRegion_IsTwoToThe64Long()
    {
        var tree = MtreeTreeText.Read(PcTree).Find("memory")!.Tree;

        // [0x0, 2^64)
        Assert.Equal(AddressSpace.End, tree["system"].Size);
        Assert.Equal(AddressSpace.End, tree["pci"].Size);
    }

    [Fact]
    public void Read_NestedContainers_PlaceChildrenRelativeToTheirParent()
    {
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000100000-00000000001fffff (prio 0, i/o): bridge
                  0000000000180000-0000000000180fff (prio 0, ram): bar
            """;

        var tree = MtreeTreeText.Read(text).Find("memory")!.Tree;

        // bar at [0x180000, 0x181000) absolute is 0x80000 into bridge at [0x100000, 0x200000)
        Assert.Equal(0x80000UL, tree.PlacementOf("bar").Address);
        Assert.Equal(RegionKind.Container, tree["bridge"].Kind);
        Assert.Equal("[0x180000..0x181000) ram bar", Assert.Single(tree.Render()).ToString());
    }

    [Fact]
    public void Read_HigherPrioritySibling_RendersOnTop()
    {
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000000000-0000000000003fff (prio 0, ram): low
                0000000000001000-0000000000001fff (prio 1, i/o): window
            """;

        var view = MtreeTreeText.Read(text).Find("memory")!.Tree.Render();

        // [0x0, 0x1000) low, [0x1000, 0x2000) window, [0x2000, 0x4000) low @0x2000
        Assert.Equal("[0x0..0x1000) ram low, [0x1000..0x2000) i/o window prio=1, [0x2000..0x4000) ram low @0x2000",
            string.Join(", ", view));
    }

    [Fact]
    public void Read_DisabledMarker_RegionRendersNothing()
    {
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000000000-0000000000000fff (prio 0, ram): off [disabled]
            """;

        var tree = MtreeTreeText.Read(text).Find("memory")!.Tree;

        Assert.False(tree["off"].Enabled);
        Assert.Empty(tree.Render());
    }

    [Fact]
    public void Read_ChildTwoLevelsDeeper_ImpliesTheUnprintedDisabledParent()
    {
        // QEMU without -D skips a disabled region's line but prints its children one level deeper.
        const string text = """
            address-space: I/O
              0000000000000000-000000000000ffff (prio 0, i/o): io
                  0000000000000000-0000000000000003 (prio 0, i/o): acpi-evt
                0000000000000020-0000000000000021 (prio 0, i/o): pic
            """;

        var tree = MtreeTreeText.Read(text).Find("I/O")!.Tree;

        Assert.Equal("(disabled)", tree.ParentOf("acpi-evt"));
        Assert.False(tree["(disabled)"].Enabled);
        Assert.Equal("io", tree.ParentOf("pic"));
        // [0x20, 0x22) pic only: io has children, so without hints it is a container
        Assert.Equal("[0x20..0x22) i/o pic", Assert.Single(tree.Render()).ToString());
    }

    [Fact]
    public void Read_TerminalIoHint_IoWithChildrenFillsItsGaps()
    {
        const string text = """
            address-space: I/O
              0000000000000000-000000000000ffff (prio 0, i/o): io
                0000000000000020-0000000000000021 (prio 0, i/o): pic
            """;
        var hints = MtreeTreeHints.None with { TerminalIo = ImmutableHashSet.Create(StringComparer.Ordinal, "io") };

        var view = MtreeTreeText.Read(text, hints).Find("I/O")!.Tree.Render();

        // [0x0, 0x20) io, [0x20, 0x22) pic, [0x22, 0x10000) io @0x22
        Assert.Equal("[0x0..0x20) i/o io, [0x20..0x22) i/o pic, [0x22..0x10000) i/o io @0x22", string.Join(", ", view));
    }

    [Fact]
    public void Read_ContainerIoHint_LeafWithoutPrintedChildrenRendersNothing()
    {
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000100000000-00000001dfffffff (prio 0, i/o): device-memory
            """;
        var hints = MtreeTreeHints.None with { ContainerIo = ImmutableHashSet.Create(StringComparer.Ordinal, "device-memory") };

        Assert.Single(MtreeTreeText.Read(text).Find("memory")!.Tree.Render());
        Assert.Empty(MtreeTreeText.Read(text, hints).Find("memory")!.Tree.Render());
    }

    [Fact]
    public void Read_AddressSpaceRootedAtAnAlias_RendersTheTargetFromZero()
    {
        const string text = """
            address-space: nodmar
              0000000000000000-ffffffffffffffff (prio 0, i/o): alias nodmar @system 0000000000000000-ffffffffffffffff

            memory-region: system
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000000000-0000000000000fff (prio 0, ram): ram0
            """;

        var tree = MtreeTreeText.Read(text).Find("nodmar")!.Tree;

        Assert.Equal("nodmar", Assert.Single(tree[tree.Root].Subregions).Name);
        // [0x0, 0x1000) ram0 through the alias
        Assert.Equal("[0x0..0x1000) ram ram0", Assert.Single(tree.Render()).ToString());
    }

    [Fact]
    public void Read_OldAttributeForm_ReadsRwLeafByItsNameAndSaysSo()
    {
        // QEMU 2.x prints RW for RAM and MMIO alike: pc.ram is a RAM block, an ioapic is not.
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, RW): system
                0000000000000000-0000000000000fff (prio 0, RW): pc.ram
                00000000000e0000-00000000000fffff (prio 1, R-): bios
                00000000fec00000-00000000fec00fff (prio 0, RW): ioapic
            """;

        var space = MtreeTreeText.Read(text).Find("memory")!;

        Assert.Equal((RegionKind.Container, RegionKind.Ram, RegionKind.Rom, RegionKind.Io),
            (space.Tree["system"].Kind, space.Tree["pc.ram"].Kind, space.Tree["bios"].Kind, space.Tree["ioapic"].Kind));
        Assert.True(space.Tree["bios"].ReadOnly);
        Assert.Collection(space.Assumptions,
            a => Assert.StartsWith("line 3: \"pc.ram\"", a, StringComparison.Ordinal),
            a => Assert.Contains("read as MMIO", a, StringComparison.Ordinal));
    }

    [Fact]
    public void Read_CurrentForm_AssumesNothing()
    {
        Assert.Empty(MtreeTreeText.Read(PcTree).Find("memory")!.Assumptions);
    }

    [Fact]
    public void Read_OldAttributeFormAlias_KeepsTheAliasOwnReadOnlyFlag()
    {
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, RW): system
                0000000000000000-000000000fffffff (prio 0, RW): pc.ram
                00000000000c0000-00000000000c3fff (prio 1, R-): alias pam-rom @pc.ram 00000000000c0000-00000000000c3fff
                00000000000c4000-00000000000c7fff (prio 1, RW): alias pam-ram @pc.ram 00000000000c4000-00000000000c7fff
            """;

        var tree = MtreeTreeText.Read(text).Find("memory")!.Tree;

        Assert.True(tree["pam-rom"].ReadOnly);
        Assert.False(tree["pam-ram"].ReadOnly);
    }

    [Fact]
    public void Read_MemoryRegionSection_RendersOnItsOwn()
    {
        var pci = MtreeTreeText.Read(PcTree).FindRegion("pci")!;

        Assert.False(pci.IsAddressSpace);
        // [0xc0000, 0xe0000) pc.rom placed in pci at its own address
        Assert.Equal("[0xc0000..0xe0000) ram pc.rom ro prio=1", Assert.Single(pci.Tree.Render()).ToString());
    }

    // Two virtio-pci devices print two sections named like their common BAR container.
    private const string TwoVirtioSections = """
        address-space: memory
          0000000000000000-ffffffffffffffff (prio 0, i/o): system
            00000000fe000000-00000000fe003fff (prio 1, i/o): alias virtio-bar @virtio-pci 0000000000000000-0000000000003fff

        memory-region: virtio-pci
          0000000000000000-0000000000003fff (prio 0, i/o): virtio-pci
            0000000000000000-0000000000000fff (prio 0, i/o): virtio-pci-common

        memory-region: virtio-pci
          0000000000000000-0000000000003fff (prio 0, i/o): virtio-pci
            0000000000000000-0000000000000fff (prio 0, i/o): virtio-pci-common

        """;

    [Fact]
    public void Read_TwoIdenticalMemoryRegionSections_ReadsBoth()
    {
        var dump = MtreeTreeText.Read(TwoVirtioSections);

        Assert.Equal(["virtio-pci", "virtio-pci"], dump.MemoryRegions.ToArray());
        Assert.Equal(RegionKind.Alias, dump.Find("memory")!.Tree["virtio-bar"].Kind);
    }

    [Fact]
    public void Read_TwoDifferentMemoryRegionSectionsBehindAnAlias_ThrowsNamingBothHeaders()
    {
        // the second device's section prints another subregion: the alias's target is ambiguous
        int second = TwoVirtioSections.LastIndexOf("virtio-pci-common", StringComparison.Ordinal);
        string text = string.Concat(TwoVirtioSections.AsSpan(0, second), "virtio-pci-isr", TwoVirtioSections.AsSpan(second + "virtio-pci-common".Length));

        var error = Assert.Throws<MtreeFormatException>(() => MtreeTreeText.Read(text));

        Assert.Equal((5, 9), (error.EarlierLineNumber, error.LineNumber));
        Assert.Contains("two different", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NonVolatilePrefix_SetsNonVolatile()
    {
        const string text = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000100000000-00000001ffffffff (prio 0, nv-ram): pmem
            """;

        var tree = MtreeTreeText.Read(text).Find("memory")!.Tree;

        Assert.True(tree["pmem"].NonVolatile);
        Assert.Equal(RegionKind.Ram, tree["pmem"].Kind);
    }

    [Fact]
    public void Read_MalformedLine_ThrowsNamingTheLine()
    {
        const string text = "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    00000000000c0000 (prio 1, ram): broken\n";

        var error = Assert.Throws<MtreeFormatException>(() => MtreeTreeText.Read(text));

        Assert.Equal(3, error.LineNumber);
        Assert.Contains("START-END", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownKind_ThrowsNamingTheLineAndTheWord()
    {
        const string text = "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, container): system\n";

        var error = Assert.Throws<MtreeFormatException>(() => MtreeTreeText.Read(text));

        Assert.Equal(2, error.LineNumber);
        Assert.Contains("\"container\"", error.Message, StringComparison.Ordinal);
    }

    private const string SystemHeader = "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n";

    public static TheoryData<string, int, string> BrokenAliases() => new()
    {
        // an alias of a region printed nowhere
        { SystemHeader + "    0000000000000000-0000000000000fff (prio 0, ram): alias low @nowhere 0000000000000000-0000000000000fff\n", 3, "\"nowhere\"" },
        // two regions named like the target: the text cannot say which one the alias shows
        {
            SystemHeader + "    0000000000000000-0000000000000fff (prio 0, ram): blob\n    0000000000100000-0000000000100fff (prio 0, ram): blob\n"
                + "    0000000000200000-0000000000200fff (prio 0, ram): alias view @blob 0000000000000000-0000000000000fff\n",
            5, "2 regions of that name"
        },
        // a window of 0x2000 bytes for an alias of 0x1000
        { SystemHeader + "    0000000000000000-0000000000000fff (prio 0, ram): alias low @ram 0000000000000000-0000000000001fff\n", 3, "as long as the alias" },
    };

    [Theory]
    [MemberData(nameof(BrokenAliases))]
    public void Read_BrokenAlias_ThrowsNamingTheAliasLine(string text, int line, string fragment)
    {
        var error = Assert.Throws<MtreeFormatException>(() => MtreeTreeText.Read(text));

        Assert.Equal(line, error.LineNumber);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_FlatListing_ThrowsSayingItIsTheFlatForm()
    {
        var error = Assert.Throws<MtreeFormatException>(() => MtreeTreeText.Read("FlatView #0\n AS \"memory\", root: system\n"));

        Assert.Equal(1, error.LineNumber);
        Assert.Contains("info mtree -f", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RecordedPcStart_SmmSpaceReachesSystemThroughItsSectionWithoutDuplicates()
    {
        var capture = QemuFixtures.Load("pc-pam.transcript").Captures[0];

        var smm = MtreeTreeText.Read(capture.Tree).Find("cpu-smm-0")!.Tree;

        // The root container and the alias are both printed "memory"; system and pci come from memory-region: system.
        Assert.Equal("memory", smm.Root);
        Assert.Equal("system", smm["memory#2"].AliasTarget);
        Assert.Equal("system", smm.ParentOf("pci"));
        Assert.False(smm.Contains("pci#2"));
    }

    [Fact]
    public void Read_MonitorPromptAroundTheOutput_IsSkipped()
    {
        string text = "(qemu) info mtree\n" + PcTree + "(qemu) \n";

        Assert.Equal(MtreeTreeText.Read(PcTree).ToFlat(), MtreeTreeText.Read(text).ToFlat());
    }

    [Theory]
    [InlineData("    ...")]
    [InlineData("    [...]")]
    [InlineData("    \u2026")]
    public void Read_Elision_ThrowsSayingTheDumpWasShortened(string elision)
    {
        string text = SystemHeader + "    0000000000000000-0000000000000fff (prio 0, ram): ram0\n" + elision + "\n";

        var error = Assert.Throws<MtreeFormatException>(() => MtreeTreeText.Read(text));

        Assert.Equal(4, error.LineNumber);
        Assert.Contains("shortened by hand", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tce-root-*", "tce-root-80000001", true)]
    [InlineData("pci@*.io", "pci@800000020000000.io", true)]
    [InlineData("pci@*.io", "pci@800000020000000.iommu-root", false)]
    [InlineData("pci@*.io", "pci@.io", true)]
    [InlineData("a*b*c", "abc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("smram", "smram", true)]
    [InlineData("smram", "smram-low", false)]
    public void Matches_NamesAndStarPatterns_MatchAsQemuNumbersItsInstances(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, MtreeTreeHints.Matches(ImmutableHashSet.Create(StringComparer.Ordinal, pattern), name));
    }

    [Fact]
    public void Write_PcShape_PrintsAsQemusInfoMtreeDWithTheAliasTargetSectionAfter()
    {
        var tree = RegionTree.Create(MemoryRegion.Container("system", AddressSpace.End))
            .Define(MemoryRegion.Ram("pc.ram", 0x800_0000))
            .Define(MemoryRegion.Alias("ram-below-4g", "pc.ram", 0, 0x800_0000)).AddSubregion("system", "ram-below-4g", 0)
            .Define(MemoryRegion.Alias("pam-e8000", "pc.ram", 0xe8000, 0x4000) with { ReadOnly = true }).AddSubregion("system", "pam-e8000", 0xe8000, priority: 1)
            .Define(MemoryRegion.Io("apic", 0x1000) with { Enabled = false }).AddSubregion("system", "apic", 0xfee0_0000);

        string text = MtreeTreeText.Write(tree, "memory");

        Assert.Equal(
            "address-space: memory\n" +
            "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n" +
            "    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff\n" +
            "    00000000000e8000-00000000000ebfff (prio 1, ram): alias pam-e8000 @pc.ram 00000000000e8000-00000000000ebfff\n" +
            "    00000000fee00000-00000000fee00fff (prio 0, i/o): apic [disabled]\n" +
            "\n" +
            "memory-region: pc.ram\n" +
            "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n",
            text);
        var hints = MtreeTreeText.HintsFor(tree);
        Assert.Equal(["pam-e8000"], hints.ReadOnlyAliases);
        Assert.Equal(tree.Render(), MtreeTreeText.Read(text, hints).Spaces.Single().Tree.Render());
    }
}
