using System.Globalization;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>Changes flags of a region, or an alias's offset; a null field is left as it is.</summary>
/// <param name="Region">A defined region.</param>
public sealed record SetStep(string Region) : ScenarioStep
{
    /// <summary>The <c>set</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<SetStep>("set", ["region", "enabled", "readonly", "nonvolatile", "unmergeable", "dirty", "romd", "alias-offset"],
        b => new SetStep(b.String("region"))
        {
            Enabled = b.OptionalBool("enabled"),
            ReadOnly = b.OptionalBool("readonly"),
            NonVolatile = b.OptionalBool("nonvolatile"),
            Unmergeable = b.OptionalBool("unmergeable"),
            DirtyLogMask = b.OptionalInt("dirty", 0, 255) is { } d ? (byte)d : null,
            RomdMode = b.OptionalBool("romd"),
            AliasOffset = b.OptionalAddress("alias-offset"),
        },
        (s, w) =>
        {
            w.WriteString("region", s.Region);
            if (s.Enabled is { } en) { w.WriteBoolean("enabled", en); }
            if (s.ReadOnly is { } ro) { w.WriteBoolean("readonly", ro); }
            if (s.NonVolatile is { } nv) { w.WriteBoolean("nonvolatile", nv); }
            if (s.Unmergeable is { } um) { w.WriteBoolean("unmergeable", um); }
            if (s.DirtyLogMask is { } d) { w.WriteNumber("dirty", d); }
            if (s.RomdMode is { } romd) { w.WriteBoolean("romd", romd); }
            if (s.AliasOffset is { } o) { ScenarioJson.Number(w, "alias-offset", o); }
        });


    internal override void Run(ScenarioMachine machine) =>
        TreeEdits.Say(machine, machine.MemoryMap.Edit(t => t.Update(Region, ApplyTo), o => o.Update(ApplyTo(o[Region]))));

    /// <summary><c>memory_region_set_enabled</c>.</summary>
    public bool? Enabled { get; init; }

    /// <summary><c>memory_region_set_readonly</c>.</summary>
    public bool? ReadOnly { get; init; }

    /// <summary><c>memory_region_set_nonvolatile</c>.</summary>
    public bool? NonVolatile { get; init; }

    /// <summary><c>memory_region_set_unmergeable</c>.</summary>
    public bool? Unmergeable { get; init; }

    /// <summary>The dirty-log mask.</summary>
    public byte? DirtyLogMask { get; init; }

    /// <summary><c>memory_region_rom_device_set_romd</c>.</summary>
    public bool? RomdMode { get; init; }

    /// <summary><c>memory_region_set_alias_offset</c> (aliases only).</summary>
    public ulong? AliasOffset { get; init; }

    /// <summary>Applies the changes to a region.</summary>
    /// <param name="r">The region as it is.</param>
    /// <returns>The changed region.</returns>
    public MemoryRegion ApplyTo(MemoryRegion r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r with
        {
            Enabled = Enabled ?? r.Enabled,
            ReadOnly = ReadOnly ?? r.ReadOnly,
            NonVolatile = NonVolatile ?? r.NonVolatile,
            Unmergeable = Unmergeable ?? r.Unmergeable,
            DirtyLogMask = DirtyLogMask ?? r.DirtyLogMask,
            RomdMode = RomdMode ?? r.RomdMode,
            AliasOffset = AliasOffset ?? r.AliasOffset,
        };
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        void Flag(string name, bool? value)
        {
            if (value is { } v)
            {
                parts.Add($"{name}={(v ? "on" : "off")}");
            }
        }

        Flag("enabled", Enabled);
        Flag("readonly", ReadOnly);
        Flag("nonvolatile", NonVolatile);
        Flag("unmergeable", Unmergeable);
        Flag("romd", RomdMode);
        if (DirtyLogMask is { } d) { parts.Add(string.Create(CultureInfo.InvariantCulture, $"dirty=0x{d:x}")); }
        if (AliasOffset is { } o) { parts.Add(string.Create(CultureInfo.InvariantCulture, $"alias-offset=0x{o:x}")); }
        return $"set {Region} {string.Join(' ', parts)}";
    }
}
