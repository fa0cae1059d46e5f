using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Registers a listener late that only records its callbacks: QEMU replays the current view into it
/// (TD-05 judges that replay).</summary>
/// <param name="Name">The listener's name.</param>
public sealed record ObserverStep(string Name) : ScenarioStep
{
    /// <summary>The <c>observer</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ObserverStep>("observer", ["name"], b => new ObserverStep(b.String("name")), (s, w) => w.WriteString("name", s.Name));


    internal override void Run(ScenarioMachine machine)
    {
        machine.Observe(Name);
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"registered; replayed {machine.LastReplay!.Callbacks.Length} callback(s) for a view of {machine.LastReplay.View.Count} range(s)"));
    }

    /// <inheritdoc/>
    public override string ToString() => $"observer {Name}";
}
