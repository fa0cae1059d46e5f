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
    private const uint Vga = 0x8000_1000, Edu = 0x8000_2000, TestDev = 0x8000_2800, Ivshmem = 0x8000_3000, E1000 = 0x8000_3800;

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
            < 24 => Pam(machine, random),
            < 30 => Smram(machine, random),
            < 34 when machine == "q35" => Tseg(random),
            < 58 => Bar(random),
            < 72 => Decoding(random),
            < 77 => OptionRom(random),
            < 85 => VgaWindow(random),
            < 92 when dimms < MaxDimms => Dimm(random, ++dimms),
            < 100 => Pflash(random),
            _ => Pam(machine, random),
        };
    }

    private static QemuStep Pam(string machine, Random random)
    {
        // i440FX: 0x59..0x5f; Q35 MCH: 0x90..0x96; a nibble per segment: 0 PCI, 1 read-only, 2 write-only, 3 RAM.
        int register = (machine == "pc" ? 0x59 : 0x90) + random.Next(7);
        int value = random.Next(4) | (random.Next(4) << 4);
        return ConfigByte($"pam: PAM register 0x{register:x2} = 0x{value:x2}", 0x8000_0000, register, value);
    }

    private static QemuStep Smram(string machine, Random random)
    {
        // SMRAM control (i440FX 0x72, Q35 0x9d): G_SMRAME 0x08 maps SMRAM for SMM, D_OPEN 0x40 opens it to all.
        int register = machine == "pc" ? 0x72 : 0x9d;
        int value = SmramValues[random.Next(SmramValues.Length)];
        return ConfigByte($"smram: SMRAM control 0x{register:x2} = 0x{value:x2}", 0x8000_0000, register, value);
    }

    private static QemuStep Tseg(Random random)
    {
        // ESMRAMC (Q35 0x9e): T_EN with the TSEG size in bits 1-2 carves TSEG off the top of low RAM.
        int value = EsmramcValues[random.Next(EsmramcValues.Length)];
        return ConfigByte($"tseg: ESMRAMC 0x9e = 0x{value:x2}", 0x8000_0000, 0x9e, value);
    }

    private static QemuStep Bar(Random random)
    {
        var (device, config, register, kind) = Bars[random.Next(Bars.Length)];
        uint value = kind switch
        {
            "io" => IoAddresses[random.Next(IoAddresses.Length)],
            "mem64-high" => HighDwords[random.Next(HighDwords.Length)],
            _ => random.Next(4) == 0 ? (uint)(0xc000_0000 + (random.Next(0x3f00) << 16)) : MemoryAddresses[random.Next(MemoryAddresses.Length)],
        };
        string what = kind == "mem64-high" ? "bar64 high" : value == 0xffff_ffff || (kind == "io" && value == 0xffff) ? "bar sizing" : "bar";
        return ConfigDword($"{what}: {device} BAR 0x{register:x2} = 0x{value:x8}", config, register, value);
    }

    private static QemuStep Decoding(Random random)
    {
        var (device, config) = Functions[random.Next(Functions.Length)];
        int value = random.Next(4);
        string label = $"decoding: {device} command = 0x{value:x4} (memory {((value & 2) != 0 ? "on" : "off")}, I/O {((value & 1) != 0 ? "on" : "off")})";
        return new QemuStep(label, [Qtest($"outl 0xcf8 0x{config | 0x04:x8}"), Qtest($"outw 0xcfc 0x{value:x4}")], 0);
    }

    private static QemuStep OptionRom(Random random)
    {
        // The expansion ROM BAR (0x30): the address with bit 0 enabling it; e1000 carries a ROM.
        uint address = MemoryAddresses[random.Next(MemoryAddresses.Length)] & 0xffff_f800;
        uint value = address | (uint)random.Next(2);
        return ConfigDword($"option rom: e1000 ROM BAR = 0x{value:x8}", E1000, 0x30, value);
    }

    private static QemuStep VgaWindow(Random random)
    {
        // Chain-4 mode (SR02 all planes, SR04 chain-4) makes vga.chain4 a RAM alias of vram at the window GR06 selects.
        bool chain4 = random.Next(3) != 0;
        int map = VgaMaps[random.Next(VgaMaps.Length)];
        return new QemuStep(
            $"vga window: chain-4 {(chain4 ? "on" : "off")}, GR06 memory map 0x{map:x2}",
            [Qtest("outb 0x3c4 0x02"), Qtest("outb 0x3c5 0x0f"), Qtest("outb 0x3c4 0x04"), Qtest($"outb 0x3c5 0x{(chain4 ? 0x08 : 0x00):x2}"),
             Qtest("outb 0x3ce 0x06"), Qtest($"outb 0x3cf 0x{map:x2}")],
            0);
    }

    private static QemuStep Dimm(Random random, int n)
    {
        string size = random.Next(2) == 0 ? "128M" : "256M";
        return new QemuStep($"dimm: d{n} of {size} is plugged",
            [new QemuAction(QemuChannel.Monitor, $"object_add memory-backend-ram,id=m{n},size={size}", 0), new QemuAction(QemuChannel.Monitor, $"device_add pc-dimm,id=d{n},memdev=m{n}", 0)],
            0);
    }

    private static QemuStep Pflash(Random random)
    {
        // Any command but "read array" (0xff) takes the flash out of ROM mode; 0xff puts it back.
        int command = random.Next(2) == 0 ? 0xff : (random.Next(2) == 0 ? 0x90 : 0x70);
        string address = random.Next(2) == 0 ? "0xfffc0000" : "0xffffffff";
        return new QemuStep($"pflash: write 0x{command:x2} at {address} ({(command == 0xff ? "ROM mode" : "leaves ROM mode")})", [Qtest($"writeb {address} 0x{command:x2}")], 0);
    }

    private static QemuStep ConfigByte(string label, uint config, int register, int value) =>
        new(label, [Qtest($"outl 0xcf8 0x{config | (uint)(register & ~3):x8}"), Qtest($"outb 0x{0xcfc + (register & 3):x} 0x{value:x2}")], 0);

    private static QemuStep ConfigDword(string label, uint config, int register, uint value) =>
        new(label, [Qtest($"outl 0xcf8 0x{config | (uint)register:x8}"), Qtest($"outl 0xcfc 0x{value:x8}")], 0);

    private static QemuAction Qtest(string text) => new(QemuChannel.Qtest, string.Create(CultureInfo.InvariantCulture, $"{text}"), 0);
}
