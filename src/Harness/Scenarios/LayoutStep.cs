using System.Collections.Immutable;
using System.Globalization;
using Verify.Harness.Core;
using Verify.Harness.Hosts;
using Verify.Harness.Layouts;

namespace Verify.Harness.Scenarios;

/// <summary>Starts from a realistic machine (<see cref="MachineLayout"/>): <c>pc</c>, <c>q35</c> or <c>virt</c>.</summary>
/// <param name="Machine">The layout's name.</param>
/// <param name="Ram">Guest RAM in bytes.</param>
public sealed record LayoutStep(string Machine, ulong Ram) : ScenarioStep
{
    /// <summary>The machines a layout step can name.</summary>
    public static ImmutableArray<string> Machines { get; } = ["pc", "q35", "virt"];

    /// <summary>The <c>layout</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<LayoutStep>("layout", ["machine", "ram"], Read, (s, w) =>
    {
        w.WriteString("machine", s.Machine);
        ScenarioJson.Number(w, "ram", s.Ram);
    });


    /// <summary>Builds the machine.</summary>
    /// <returns>The layout.</returns>
    public MachineLayout Build() => Machine switch
    {
        "pc" => MachineLayout.Pc(Ram),
        "q35" => MachineLayout.Q35(Ram),
        "virt" => MachineLayout.Virt(Ram),
        _ => throw new InvalidOperationException($"unknown machine '{Machine}'"),
    };

    internal override void Run(ScenarioMachine machine)
    {
        var layout = Build();
        machine.MemoryMap.StartLayout(layout);
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"tree of {layout.Tree.Count} regions (not committed yet)"));
    }

    private static LayoutStep Read(JsonWalker b)
    {
        string machine = b.String("machine");
        if (!Machines.Contains(machine))
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "machine"), $"expected one of {string.Join(", ", Machines)}, got \"{machine}\"");
        }

        ulong ram = b.Address("ram");
        if (ram == 0 || ram % 0x10_0000 != 0)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "ram"), $"expected a whole number of MiB above 0, got 0x{ram:x}");
        }

        return new LayoutStep(machine, ram);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"layout {Machine} ram={ScenarioNumbers.Format(Ram)}");
}
