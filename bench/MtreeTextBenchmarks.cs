using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Verify.MemoryMap.Text;

namespace Verify.Bench;

/// <summary>
/// Reading a 10,000-line <c>info mtree -f</c> dump (issue 2: linear, allocation-light parsing). The dump
/// looks like a large VM: a few sections, thousands of RAM slices with offsets and the KVM suffix,
/// MMIO with names containing spaces, a handful of distinct names repeated.
/// </summary>
[MemoryDiagnoser]
public class MtreeTextBenchmarks
{
    private const int RangeLines = 10_000;

    private static readonly string[] Names = ["pc.ram", "pc.bios", "vga-lowmem", "0000:01:00.0 BAR 0 mmaps[0]", "virtio-pci-common-virtio-net", "kvm-ioapic"];

    private string _text = "";
    private ulong[] _starts = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        const int sections = 4;
        for (int s = 0; s < sections; s++)
        {
            text.Append(CultureInfo.InvariantCulture, $"FlatView #{s}\n AS \"as-{s}\", root: system\n Root memory region: system\n");
            ulong address = 0;
            for (int i = 0; i < RangeLines / sections; i++)
            {
                string name = Names[i % Names.Length];
                string kind = i % 3 == 0 ? "i/o" : i % 7 == 0 ? "rom" : "ram";
                ulong size = 0x1000UL * (ulong)(1 + (i % 5));
                text.Append(CultureInfo.InvariantCulture, $"  {address:x16}-{address + size - 1:x16} (prio {i % 3}, {kind}): {name}");
                if (i % 2 == 0)
                {
                    text.Append(CultureInfo.InvariantCulture, $" @{address:x16}");
                }

                text.Append(kind == "i/o" ? "\n" : " KVM\n");
                address += size + (i % 4 == 0 ? 0x1000UL : 0);
            }

            text.Append('\n');
        }

        _text = text.ToString();
        _starts = [.. Enumerable.Range(0, RangeLines).Select(i => (ulong)i * 0x2000)];
    }

    [Benchmark(Baseline = true)]
    public MtreeFlatDump ReadString() => MtreeFlatText.Read(_text);

    [Benchmark]
    public MtreeFlatDump ReadTextReader()
    {
        using var reader = new StringReader(_text);
        return MtreeFlatText.Read(reader);
    }

    /// <summary>Not reading: only the 10,000 <see cref="Verify.MemoryMap.AddressRange"/> constructions a read must
    /// make, to show how much of the read's time and allocation is the range type's argument checks.</summary>
    [Benchmark]
    public ulong AddressRangesOnly()
    {
        ulong sum = 0;
        foreach (ulong start in _starts)
        {
            sum += Verify.MemoryMap.AddressRange.FromBounds(start, (UInt128)start + 0x1000).Start;
        }

        return sum;
    }
}
