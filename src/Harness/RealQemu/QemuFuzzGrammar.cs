using System.Collections.Immutable;
using System.Globalization;
using Verify.Qemu;

namespace Verify.Harness.RealQemu;

/// <summary>
/// The guest-visible actions that change a memory map, as qtest and monitor commands on a stopped pc or q35 machine
/// (tests/Qemu/README.md says how QEMU is run): PAM writes of every segment and mode, SMRAM and TSEG control, PCI BAR
/// programming on five device kinds (moves, sizing writes with every bit set, the 64-bit BAR's high dword with bit 63,
/// BARs over RAM, the APIC and the BIOS, BARs over each other), memory and I/O decoding on and off, an option ROM BAR,
/// the VGA legacy window (chain-4 mode and the GR06 memory map select), DIMM hot-add through the monitor, and the
/// firmware flash leaving and re-entering ROM mode. Values are drawn from edge-rich sets, so most scripts merge,
/// split and overlap.
/// </summary>
public static class QemuFuzzGrammar
{
    /// <summary>The machines the grammar drives.</summary>
    public static ImmutableArray<string> Machines { get; } = ["pc", "q35"];

    /// <summary>The devices every script's machine gets, at fixed slots, and the DIMM slots and flash they use.</summary>
    public const string Devices =
        "-m 512,slots=4,maxmem=4G -device VGA,addr=02.0 -device edu,addr=04.0 -device pci-testdev,addr=05.0 "
        + "-object memory-backend-ram,id=ivm,size=1M -device ivshmem-plain,memdev=ivm,addr=06.0 -device e1000,addr=07.0 "
        + "-blockdev node-name=flash0,driver=null-co,size=262144,read-zeroes=on -machine pflash0=flash0";

    private const int MaxDimms = 4;

    // PCI functions by slot: config-space address of register 0 (0x80000000 | dev << 11).
    private const uint Host = 0x8000_0000, Vga = 0x8000_1000, Edu = 0x8000_2000, TestDev = 0x8000_2800, Ivshmem = 0x8000_3000, E1000 = 0x8000_3800;

    private static readonly (string Name, uint Config)[] Functions = [("VGA", Vga), ("edu", Edu), ("pci-testdev", TestDev), ("ivshmem", Ivshmem), ("e1000", E1000)];

    // (device, register, what the BAR decodes): the 32-bit memory BARs, the I/O BARs, and the 64-bit BAR's halves.
    private static readonly (string Device, uint Config, int Register, string Kind)[] Bars =
    [
        ("VGA", Vga, 0x10, "mem"), ("VGA", Vga, 0x18, "mem"), ("edu", Edu, 0x10, "mem"), ("pci-testdev", TestDev, 0x10, "mem"),
        ("pci-testdev", TestDev, 0x14, "io"), ("ivshmem", Ivshmem, 0x10, "mem"), ("ivshmem", Ivshmem, 0x18, "mem64-low"),
        ("ivshmem", Ivshmem, 0x1c, "mem64-high"), ("e1000", E1000, 0x10, "mem"), ("e1000", E1000, 0x14, "io"),
    ];

    // Inside RAM, right after low RAM (512 MiB), the legacy VGA window, the APIC and IOAPIC windows, the BIOS at the
    // top of 4 GiB, the usual PCI hole, 0, and the sizing write.
    private static readonly uint[] MemoryAddresses =
        [0x1ff0_0000, 0x2000_0000, 0x000a_0000, 0x0010_0000, 0xfee0_0000, 0xfec0_0000, 0xfff0_0000, 0xfffc_0000, 0xfe00_0000, 0xfd00_0000, 0xfeb0_0000, 0xc000_0000, 0x0000_0000, 0xffff_ffff];

    private static readonly uint[] IoAddresses = [0xc000, 0xc100, 0xc040, 0x03c0, 0x0cf8, 0x0000, 0xffff];

    // The 64-bit BAR's high dword: below 4 GiB, just above, bit 63 (vfio skips such sections), all ones (sizing).
    private static readonly uint[] HighDwords = [0x0, 0x1, 0x10, 0x8000_0000, 0x7fff_ffff, 0xffff_ffff];

    private static readonly byte[] SmramValues = [0x02, 0x0a, 0x4a, 0x42, 0x0a, 0x4a];
    private static readonly byte[] EsmramcValues = [0x00, 0x01, 0x03, 0x05, 0x07];
    private static readonly byte[] VgaMaps = [0x00, 0x04, 0x08, 0x0c];

    /// <summary>The kinds of action, as the classification names them.</summary>
    public static ImmutableArray<string> ActionKinds { get; } =
        ["pam", "smram", "tseg", "bar", "bar sizing", "bar64 high", "decoding", "option rom", "vga window", "dimm", "pflash"];

    /// <summary>A script of <paramref name="steps"/> random actions on <paramref name="machine"/>.</summary>
    /// <param name="machine"><c>pc</c> or <c>q35</c>.</param>
    /// <param name="steps">How many steps.</param>
    /// <param name="random">The source of choices (seeded by the caller, so a seed names a script).</param>
    /// <param name="name">The script's name.</param>
    /// <returns>The script.</returns>
    public static QemuScript Generate(string machine, int steps, Random random, string name)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!Machines.Contains(machine))
        {
            throw new ArgumentException($"machine '{machine}': expected one of {string.Join(", ", Machines)}", nameof(machine));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var result = ImmutableArray.CreateBuilder<QemuStep>(steps);
        int dimms = 0;
        for (int i = 0; i < steps; i++)
        {
            result.Add(Next(machine, random, ref dimms));
        }

        return new QemuScript(name, machine, [.. Devices.Split(' ')], result.MoveToImmutable());
    }

    /// <summary>The kind of action a step is (the first word of its label).</summary>
    /// <param name="step">A generated step.</param>
    /// <returns>One of <see cref="ActionKinds"/>.</returns>
    public static string KindOf(QemuStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        int colon = step.Label.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? step.Label[..colon] : step.Label;
    }

    private static QemuStep Next(string machine, Random random, ref int dimms)
    {
        int roll = random.Next(100);
        return roll switch
        {
            < 20 => Pam(machine, random),
            < 25 => Smram(machine, random),
            < 29 when machine == "q35" => Tseg(random),
            < 52 => Bar(random),
            < 70 => Decoding(random),
            < 75 => OptionRom(random),
            < 83 => VgaWindow(random),
            < 90 when dimms < MaxDimms => Dimm(random, ++dimms),
            < 100 => Pflash(random),
            _ => Pam(machine, random),
        };
    }

    private static QemuStep Pam(string machine, Random random) =>
        // i440FX: 0x59..0x5f; Q35 MCH: 0x90..0x96; a nibble per segment: 0 PCI, 1 read-only, 2 write-only, 3 RAM.
        PamStep((machine == "pc" ? 0x59 : 0x90) + random.Next(7), random.Next(4) | (random.Next(4) << 4));

    private static QemuStep PamStep(int register, int value) =>
        ConfigByte($"pam: PAM register 0x{register:x2} = 0x{value:x2}", Host, register, value);

    // SMRAM control (i440FX 0x72, Q35 0x9d): G_SMRAME 0x08 maps SMRAM for SMM, D_OPEN 0x40 opens it to all.
    private static QemuStep Smram(string machine, Random random) =>
        SmramStep(machine == "pc" ? 0x72 : 0x9d, SmramValues[random.Next(SmramValues.Length)]);

    private static QemuStep SmramStep(int register, int value) =>
        ConfigByte($"smram: SMRAM control 0x{register:x2} = 0x{value:x2}", Host, register, value);

    // ESMRAMC (Q35 0x9e): T_EN with the TSEG size in bits 1-2 carves TSEG off the top of low RAM.
    private static QemuStep Tseg(Random random) => TsegStep(EsmramcValues[random.Next(EsmramcValues.Length)]);

    private static QemuStep TsegStep(int value) => ConfigByte($"tseg: ESMRAMC 0x9e = 0x{value:x2}", Host, 0x9e, value);

    private static QemuStep Bar(Random random)
    {
        int bar = random.Next(Bars.Length);
        uint value = Bars[bar].Kind switch
        {
            "io" => IoAddresses[random.Next(IoAddresses.Length)],
            "mem64-high" => HighDwords[random.Next(HighDwords.Length)],
            // A quarter of memory BARs go to one of eight 1 MiB slots of the PCI hole, so two devices often collide.
            _ => random.Next(4) == 0 ? (uint)(0xc000_0000 + (random.Next(8) << 20)) : MemoryAddresses[random.Next(MemoryAddresses.Length)],
        };
        return BarStep(bar, value);
    }

    private static QemuStep BarStep(int bar, uint value)
    {
        var (device, config, register, kind) = Bars[bar];
        string what = kind == "mem64-high" ? "bar64 high" : value == 0xffff_ffff || (kind == "io" && value == 0xffff) ? "bar sizing" : "bar";
        return ConfigDword($"{what}: {device} BAR 0x{register:x2} = 0x{value:x8}", config, register, value);
    }

    // A BAR decodes only while its device's memory (or I/O) decoding is on, and every device starts with it off (-S, no
    // firmware): decoding is switched on three times in four, so programmed BARs do get mapped, moved and overlapped.
    private static QemuStep Decoding(Random random) => DecodingStep(random.Next(Functions.Length), random.Next(4) == 0 ? random.Next(2) : 2 + random.Next(2));

    private static QemuStep DecodingStep(int function, int value)
    {
        var (device, config) = Functions[function];
        string label = $"decoding: {device} command = 0x{value:x4} (memory {((value & 2) != 0 ? "on" : "off")}, I/O {((value & 1) != 0 ? "on" : "off")})";
        return new QemuStep(label, [Qtest($"outl 0xcf8 0x{config | 0x04:x8}"), Qtest($"outw 0xcfc 0x{value:x4}")], 0);
    }

    // The expansion ROM BAR (0x30): the address with bit 0 enabling it; e1000 carries a ROM.
    private static QemuStep OptionRom(Random random) =>
        OptionRomStep((MemoryAddresses[random.Next(MemoryAddresses.Length)] & 0xffff_f800) | (uint)random.Next(2));

    private static QemuStep OptionRomStep(uint value) => ConfigDword($"option rom: e1000 ROM BAR = 0x{value:x8}", E1000, 0x30, value);

    // Chain-4 mode (SR02 all planes, SR04 chain-4) makes vga.chain4 a RAM alias of vram at the window GR06 selects.
    private static QemuStep VgaWindow(Random random) => VgaWindowStep(random.Next(3) != 0, VgaMaps[random.Next(VgaMaps.Length)]);

    private static QemuStep VgaWindowStep(bool chain4, int map) =>
        new($"vga window: chain-4 {(chain4 ? "on" : "off")}, GR06 memory map 0x{map:x2}",
            [Qtest("outb 0x3c4 0x02"), Qtest("outb 0x3c5 0x0f"), Qtest("outb 0x3c4 0x04"), Qtest($"outb 0x3c5 0x{(chain4 ? 0x08 : 0x00):x2}"),
             Qtest("outb 0x3ce 0x06"), Qtest($"outb 0x3cf 0x{map:x2}")],
            0);

    private static QemuStep Dimm(Random random, int n) => DimmStep(n, random.Next(2) == 0 ? "128M" : "256M");

    private static QemuStep DimmStep(int n, string size) =>
        new($"dimm: d{n} of {size} is plugged",
            [new QemuAction(QemuChannel.Monitor, $"object_add memory-backend-ram,id=m{n},size={size}", 0), new QemuAction(QemuChannel.Monitor, $"device_add pc-dimm,id=d{n},memdev=m{n}", 0)],
            0);

    // Any command but "read array" (0xff) takes the flash out of ROM mode; 0xff puts it back.
    private static QemuStep Pflash(Random random) =>
        PflashStep(random.Next(2) == 0 ? 0xff : (random.Next(2) == 0 ? 0x90 : 0x70), random.Next(2) == 0 ? 0xfffc_0000 : 0xffff_ffff);

    private static QemuStep PflashStep(int command, uint address) =>
        new($"pflash: write 0x{command:x2} at 0x{address:x8} ({(command == 0xff ? "ROM mode" : "leaves ROM mode")})", [Qtest($"writeb 0x{address:x8} 0x{command:x2}")], 0);

    /// <summary>
    /// Simpler versions of a generated step, simplest first, for the shrinker to try after dropping steps: the same action
    /// with fewer bits set in its value (a PAM segment back to PCI, a BAR at 0 or at a simpler address of the grammar's set,
    /// decoding switched off, chain-4 off, GR06 0, a smaller DIMM, the flash at its first address). Each is built the way
    /// the grammar builds it, so its label says what it does.
    /// </summary>
    /// <param name="step">A step <see cref="Generate"/> made.</param>
    /// <returns>The candidates; none for a step the grammar did not make.</returns>
    public static IEnumerable<QemuStep> Simpler(QemuStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var values = step.Actions.Select(a => a.Text.Split(' ')).Where(w => w.Length == 3).Select(w => ParseHex(w[2])).ToArray();
        if (values.Length != step.Actions.Length || values.Any(v => v is null))
        {
            return KindOf(step) == "dimm" && step.Label.Contains("256M", StringComparison.Ordinal)
                ? [DimmStep(int.Parse(step.Label.AsSpan(7, step.Label.IndexOf(' ', 7) - 7), CultureInfo.InvariantCulture), "128M")]
                : [];
        }

        uint last = values[^1]!.Value;
        uint register = values.Length == 2 ? (values[0]!.Value & 0xfc) + (ParseHex(step.Actions[1].Text.Split(' ')[1])!.Value - 0xcfc) : 0;
        uint function = values.Length == 2 ? values[0]!.Value & 0xffff_ff00 : 0;
        return KindOf(step) switch
        {
            "pam" => Fewer(last).Select(v => PamStep((int)register, (int)v)),
            "smram" => Fewer(last).Select(v => SmramStep((int)register, (int)v)),
            "tseg" => Fewer(last).Select(v => TsegStep((int)v)),
            "bar" or "bar sizing" or "bar64 high" => BarValues(Array.FindIndex(Bars, b => b.Config == function && b.Register == register), last),
            "decoding" => Fewer(last).Select(v => DecodingStep(Array.FindIndex(Functions, f => f.Config == function), (int)v)),
            "option rom" => Fewer(last).Select(OptionRomStep),
            "vga window" => Fewer(values[3]!.Value).Select(c => VgaWindowStep(c != 0, (int)last))
                .Concat(Fewer(last).Select(m => VgaWindowStep(values[3]!.Value != 0, (int)m))),
            "pflash" when ParseHex(step.Actions[0].Text.Split(' ')[1]) != 0xfffc_0000 => [PflashStep((int)last, 0xfffc_0000)],
            _ => [],
        };
    }

    // A memory BAR may also move to the grammar's addresses with fewer bits set (0x20000000 rather than 0x1ff00000).
    private static IEnumerable<QemuStep> BarValues(int bar, uint value) =>
        (Bars[bar].Kind == "mem" ? Fewer(value).Concat(MemoryAddresses.Where(a => BitCount(a) < BitCount(value)).OrderBy(BitCount).Take(2)) : Fewer(value))
            .Distinct().Select(v => BarStep(bar, v));

    // 0, then the value without its highest set bit, then without its lowest: three tries, not one per bit.
    private static IEnumerable<uint> Fewer(uint value) =>
        value == 0 ? [] : new[] { 0u, value & ~(1u << (31 - System.Numerics.BitOperations.LeadingZeroCount(value))), value & (value - 1) }.Where(v => v != value).Distinct();

    private static int BitCount(uint value) => System.Numerics.BitOperations.PopCount(value);

    private static uint? ParseHex(string text) =>
        text.StartsWith("0x", StringComparison.Ordinal) && uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v) ? v : null;

    private static QemuStep ConfigByte(string label, uint config, int register, int value) =>
        new(label, [Qtest($"outl 0xcf8 0x{config | (uint)(register & ~3):x8}"), Qtest($"outb 0x{0xcfc + (register & 3):x} 0x{value:x2}")], 0);

    private static QemuStep ConfigDword(string label, uint config, int register, uint value) =>
        new(label, [Qtest($"outl 0xcf8 0x{config | (uint)register:x8}"), Qtest($"outl 0xcfc 0x{value:x8}")], 0);

    private static QemuAction Qtest(string text) => new(QemuChannel.Qtest, string.Create(CultureInfo.InvariantCulture, $"{text}"), 0);
}
