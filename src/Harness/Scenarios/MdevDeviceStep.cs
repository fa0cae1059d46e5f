using Verify.Harness.Hosts;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>Registers an mdev device with a type1 container (<c>vfio_register_emulated_iommu_dev</c>), with what its
/// <c>dma_unmap</c> callback does (docs/semantics.md 5.4).</summary>
/// <param name="Container">The container.</param>
/// <param name="Name">The device's name.</param>
/// <param name="Callback">What its callback does.</param>
public sealed record MdevDeviceStep(string Container, string Name, Type1DeviceCallback Callback) : ScenarioStep
{
    /// <summary>The <c>device</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<MdevDeviceStep>("device", ["container", "name", "callback"],
        b => new MdevDeviceStep(b.String("container"), b.String("name"), b.Choice("callback", ScenarioVocabulary.Callbacks)),
        (s, w) =>
        {
            w.WriteString("container", s.Container);
            w.WriteString("name", s.Name);
            w.WriteString("callback", ScenarioVocabulary.NameOf(ScenarioVocabulary.Callbacks, s.Callback));
        });


    internal override void Run(ScenarioMachine machine) =>
        machine.Dma.Type1Call(Container, "the registration", t => Type1Result.Fail(t.RegisterDevice(Name, Callback)), o => Type1Result.Fail(o.RegisterDevice(Name, Callback)));

    /// <inheritdoc/>
    public override string ToString() => $"{Container}: DEVICE {Name} dma_unmap={ScenarioVocabulary.NameOf(ScenarioVocabulary.Callbacks, Callback)}";
}
