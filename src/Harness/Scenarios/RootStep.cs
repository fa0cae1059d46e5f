using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Starts a region tree whose root is a 2^64 container.</summary>
/// <param name="Name">The root's name.</param>
public sealed record RootStep(string Name) : ScenarioStep
{
    /// <summary>The <c>root</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<RootStep>("root", ["name"], b => new RootStep(b.String("name")), (s, w) => w.WriteString("name", s.Name));


    internal override void Run(ScenarioMachine machine)
    {
        machine.MemoryMap.StartTree(Name);
        machine.Log.Say("tree of 1 region (not committed yet)");
    }

    /// <inheritdoc/>
    public override string ToString() => $"root {Name}";
}
