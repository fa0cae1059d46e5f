using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Closes a type1 container (QEMU closing the container fd): every mapping goes and every pin and charge is
/// returned (T1-05). Later calls to it cannot run.</summary>
/// <param name="Container">The container, attached to no listener.</param>
public sealed record CloseStep(string Container) : ScenarioStep
{
    /// <summary>The <c>close</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<CloseStep>("close", ["container"], b => new CloseStep(b.String("container")), (s, w) => w.WriteString("container", s.Container));


    internal override void Run(ScenarioMachine machine) => machine.Dma.Close(Container);

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: close";
}
