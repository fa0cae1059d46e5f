using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Detaches a container from its listener (a device unplugged).</summary>
/// <param name="Container">The container.</param>
public sealed record UnplugStep(string Container) : ScenarioStep
{
    /// <summary>The <c>unplug</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<UnplugStep>("unplug", ["container"], b => new UnplugStep(b.String("container")), (s, w) => w.WriteString("container", s.Container));


    internal override void Run(ScenarioMachine machine)
    {
        machine.Dma.Unplug(Container);
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"{Container} detached; {machine.Dma.Containers[Container].Backend.Mappings.Count} mapping(s) left"));
    }

    /// <inheritdoc/>
    public override string ToString() => $"unplug {Container}";
}
