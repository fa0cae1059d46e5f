using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Attaches a container to a listener (a device hotplugged): the listener replays the current view into it.</summary>
/// <param name="Container">The container.</param>
/// <param name="Listener">The listener.</param>
public sealed record HotplugStep(string Container, string Listener) : ScenarioStep
{
    /// <summary>The <c>hotplug</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<HotplugStep>("hotplug", ["container", "listener"],
        b => new HotplugStep(b.String("container"), b.String("listener")),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            w.WriteString("listener", s.Listener);
        });


    internal override void Run(ScenarioMachine machine)
    {
        machine.Dma.Hotplug(Container, Listener);
        machine.Log.Say($"{Container} attached to {Listener}; the current view replayed into it");
    }

    /// <inheritdoc/>
    public override string ToString() => $"hotplug {Container} into {Listener}";
}
