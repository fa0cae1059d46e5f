using System.Collections.Immutable;
using System.Globalization;
using Verify.MemoryMap;
using Verify.MemoryMap.Text;
using Verify.Qemu;

namespace Verify.Harness.RealQemu;

/// <summary>
/// What a fuzzed recording covered, as the classification <c>verify qemu fuzz</c> prints (tests/Qemu/README.md,
/// "Fuzzing"): the actions its script took, the shapes of its transitions in the system address space (merges, splits,
/// collateral for the naive listener), and where its BARs went, read from QEMU's own tree: the placements directly in
/// PCI memory space, so a BAR that RAM hides (the PCI hole sits below RAM) still counts as over RAM.
/// </summary>
public static class QemuFuzzCoverage
{
    /// <summary>The regions of the grammar's devices that a BAR places in PCI memory space.</summary>
    public static ImmutableHashSet<string> BarRegions { get; } = ImmutableHashSet.Create(StringComparer.Ordinal,
        "vga.vram", "vga.mmio", "edu-mmio", "pci-testdev-mmio", "ivshmem-mmio", "ivm", "e1000-mmio", "e1000.rom");

    // Low RAM of the grammar's machines (-m 512, all below 4 GiB), and the fixed windows a BAR can land on.
    private static readonly (string Name, ulong Start, ulong End)[] FixedWindows =
    [
        ("VGA window", 0xa_0000, 0xc_0000), ("option ROM and BIOS shadow", 0xc_0000, 0x10_0000), ("IOAPIC", 0xfec0_0000, 0xfec0_1000),
        ("APIC", 0xfee0_0000, 0xfef0_0000), ("BIOS", 0xfffc_0000, 0x1_0000_0000),
    ];

    private const ulong LowRamEnd = 0x2000_0000;

    /// <summary>The labels of one recording.</summary>
    /// <param name="script">The script recorded.</param>
    /// <param name="transcript">What QEMU printed.</param>
    /// <returns>The labels, sorted.</returns>
    public static ImmutableSortedSet<string> Labels(QemuScript script, QemuTranscript transcript)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(transcript);
        var labels = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        labels.Add($"machine {script.Machine}");
        foreach (var step in script.Steps)
        {
            labels.Add($"action: {QemuFuzzGrammar.KindOf(step)}");
        }

        foreach (var t in QemuTransitions.Compute(transcript).Where(t => t.AddressSpace == TranscriptCheck.SystemAddressSpace))
        {
            if (t.IsMerge) { labels.Add("merge (A + B -> A')"); }
            if (t.IsSplit) { labels.Add("split"); }
            if (!t.Collateral.IsEmpty) { labels.Add("naive-listener collateral"); }
        }

        Dictionary<string, (ulong Start, ulong Last)>? before = null;
        foreach (var capture in transcript.Captures)
        {
            Flat(capture, labels);
            var bars = Bars(capture.Tree);
            Placed(bars, labels);
            if (before is not null)
            {
                foreach (var (name, now) in bars)
                {
                    if (before.TryGetValue(name, out var was) && was.Start != now.Start)
                    {
                        labels.Add("BAR moved");
                        if (was.Start < LowRamEnd || now.Start < LowRamEnd)
                        {
                            labels.Add("BAR moved into or out of RAM");
                        }
                    }
                }
            }

            before = bars;
        }

        return labels.ToImmutable();
    }

    private static void Flat(QemuCapture capture, ImmutableSortedSet<string>.Builder labels)
    {
        foreach (var section in MtreeFlatText.Read(capture.Flat).Sections)
        {
            if (section.View.Ranges.Any(r => r.Range.EndsAtTop))
            {
                labels.Add("range ending at 2^64");
            }

            if (!section.AddressSpaces.Any(a => a.Name == TranscriptCheck.SystemAddressSpace))
            {
                continue;
            }

            // Chain-4 mode shows vga.vram itself (through the vga.chain4 alias) in the legacy window.
            if (section.View.Ranges.Any(r => r.Region == "vga.vram" && r.Range.Start >= 0xa_0000 && r.Range.Start < 0xc_0000))
            {
                labels.Add("VGA window as RAM");
            }

            if (section.View.Ranges.Any(r => r.Range.Start >= 0x1_0000_0000 && r.Region.Length > 1 && r.Region[0] == 'm' && r.Region[1..].All(char.IsAsciiDigit)))
            {
                labels.Add("DIMM mapped");
            }

            if (section.View.Ranges.Any(r => BarRegions.Contains(r.Region) && r.Range.Start < 0x1_0000_0000 && r.Range.Start is not (>= 0xa_0000 and < 0xc_0000)))
            {
                labels.Add("BAR visible below 4 GiB");
            }
        }
    }

    private static void Placed(Dictionary<string, (ulong Start, ulong Last)> bars, ImmutableSortedSet<string>.Builder labels)
    {
        var list = bars.ToList();
        foreach (var (name, (start, last)) in list)
        {
            if (start < LowRamEnd) { labels.Add("BAR over RAM"); }
            if (start >= 0x1_0000_0000) { labels.Add("BAR above 4 GiB"); }
            if (start >= 0x8000_0000_0000_0000) { labels.Add("BAR at or above 2^63"); }
            foreach (var window in FixedWindows.Where(w => start < w.End && last >= w.Start))
            {
                labels.Add($"BAR over the {window.Name}");
            }

            if (list.Any(o => string.CompareOrdinal(o.Key, name) > 0 && o.Value.Start <= last && start <= o.Value.Last))
            {
                labels.Add("BARs overlap");
            }
        }
    }

    // The BARs placed in PCI memory space: the direct children of the "memory-region: pci" root (indent 4).
    private static Dictionary<string, (ulong Start, ulong Last)> Bars(string tree)
    {
        var bars = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
        bool inPci = false;
        foreach (string line in tree.Split('\n'))
        {
            if (line.Length == 0 || !line.StartsWith(' '))
            {
                inPci = line == "memory-region: pci";
                continue;
            }

            if (!inPci || !line.StartsWith("    ", StringComparison.Ordinal) || line.StartsWith("     ", StringComparison.Ordinal))
            {
                continue;
            }

            int colon = line.IndexOf("): ", StringComparison.Ordinal);
            string name = colon < 0 ? "" : line[(colon + 3)..].Split(' ')[0];
            if (BarRegions.Contains(name)
                && ulong.TryParse(line.AsSpan(4, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
                && ulong.TryParse(line.AsSpan(21, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong last))
            {
                bars[name] = (start, last);
            }
        }

        return bars;
    }
}
