using System.Globalization;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Topology;

namespace Verify.Harness.Scenarios;

/// <summary>Ends a memory transaction: renders the tree, simplifies, and every listener sees the difference.</summary>
public sealed record CommitStep : ScenarioStep
{
    /// <summary>The <c>commit</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<CommitStep>("commit", [], _ => new CommitStep(), (_, _) => { });


    internal override void Run(ScenarioMachine machine)
    {
        var (raw, view) = machine.MemoryMap.Render();
        Describe(machine, machine.Transaction(view, raw, committedTree: true));
    }

    /// <summary>Writes a transaction's result line: its size and every delete and add.</summary>
    /// <param name="machine">The machine.</param>
    /// <param name="t">The transaction.</param>
    internal static void Describe(ScenarioMachine machine, TransactionObservation t)
    {
        if (!machine.Log.Describing)
        {
            return;
        }

        var changes = t.Events.Where(e => e.Kind is TopologyEventKind.Delete or TopologyEventKind.Add).ToList();
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture,
            $"transaction {t.Number}: {t.New.Count} range(s); {changes.Count(e => e.Kind == TopologyEventKind.Delete)} del, {changes.Count(e => e.Kind == TopologyEventKind.Add)} add, {t.Events.Count(e => e.Kind == TopologyEventKind.Nop)} nop"));
        foreach (var e in changes)
        {
            machine.Log.Say("  " + e);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "commit";
}
