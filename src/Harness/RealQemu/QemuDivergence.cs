namespace Verify.Harness.RealQemu;

/// <summary>One place where the models disagree with what real QEMU printed (or with the rules on QEMU's own views).</summary>
/// <param name="Step">The capture's step (0 is the state at start-up).</param>
/// <param name="Label">The step's label.</param>
/// <param name="Check">Which comparison: <c>render</c>, <c>diff</c> or <c>listener</c>.</param>
/// <param name="Message">What differs, in one or a few lines.</param>
public sealed record QemuDivergence(int Step, string Label, string Check, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"step {Step} ({Label}) [{Check}]: {Message}";
}
