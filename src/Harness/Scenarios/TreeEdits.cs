using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>What the tree-editing steps say they did.</summary>
internal static class TreeEdits
{
    /// <summary>Writes the edit's result line.</summary>
    /// <param name="machine">The machine.</param>
    /// <param name="changed">Whether the model's tree changed.</param>
    public static void Say(ScenarioMachine machine, bool changed) => machine.Log.Say(changed ? "staged until the next commit" : "no change");
}
