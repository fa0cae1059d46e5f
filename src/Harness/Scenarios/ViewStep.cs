using System.Collections.Immutable;
using Verify.Harness.Hosts;
using Verify.MemoryMap.Flat;

namespace Verify.Harness.Scenarios;

/// <summary>A transaction that installs an explicit FlatView (validated, then simplified as QEMU does) instead of
/// a rendered tree. Ranges may be invalid on purpose: the model must then refuse them as the oracle does.</summary>
/// <param name="Ranges">The ranges in the order given.</param>
public sealed record ViewStep(ImmutableArray<FlatRange> Ranges) : ScenarioStep
{
    /// <summary>The <c>view</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ViewStep>("view", ["ranges"],
        b => new ViewStep(ScenarioJson.ReadFlatRanges(b, "ranges")), (s, w) => ScenarioJson.WriteFlatRanges(w, "ranges", s.Ranges));


    internal override void Run(ScenarioMachine machine)
    {
        FlatView view;
        try
        {
            view = FlatView.Create(Ranges);
        }
        catch (ArgumentException refused)
        {
            machine.Viewed(new ViewObservation(Ranges, null, refused.Message, null));
            machine.Log.Say($"refused: {refused.Message}");
            return;
        }

        var simple = machine.MemoryMap.Implementation.Simplify(view);
        machine.Viewed(new ViewObservation(Ranges, view, null, simple));
        CommitStep.Describe(machine, machine.Transaction(simple, view, committedTree: false));
    }

    /// <inheritdoc/>
    public bool Equals(ViewStep? other) => other is not null && Ranges.SequenceEqual(other.Ranges) && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => Ranges.Length;

    /// <summary>The ranges themselves when there are a few (a shrunk case has), else their number.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        Ranges.Length is > 0 and <= 4 ? "view " + string.Join(", ", Ranges) : $"view of {Ranges.Length} range(s)";
}
