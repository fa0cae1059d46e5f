using System.Globalization;
using Verify.Harness.Hosts;

namespace Verify.Harness.Scenarios;

/// <summary>Lazy mode's deferred whole-domain flush (the flush queue emptied); a no-op on a strict table.</summary>
/// <param name="Table">The table.</param>
public sealed record PageTableFlushStep(string Table) : ScenarioStep
{
    /// <summary>The <c>pt-flush</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<PageTableFlushStep>("pt-flush", ["table"], b => new PageTableFlushStep(b.String("table")), (s, w) => w.WriteString("table", s.Table));


    internal override void Run(ScenarioMachine machine) =>
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"{machine.PageTables.Flush(Table).Commands} invalidation command(s)"));

    /// <inheritdoc/>
    public override string ToString() => $"{Table}: flush queue";
}
