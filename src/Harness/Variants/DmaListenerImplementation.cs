using Verify.Harness.Generators.Dma;

namespace Verify.Harness.Variants;

/// <summary>
/// How the DMA listener suite runs a case, as a value, so DL-01/02/04/05/07 can run against a deliberately broken
/// coalescing listener (<see cref="FlawedCoalescingListener"/>) instead of the library's.
/// </summary>
/// <param name="Name">What this implementation is, for messages.</param>
/// <param name="Execute">Runs a case: one record per transaction with each container's before, plan and after.</param>
public sealed record DmaListenerImplementation(string Name, Func<DmaCase, IReadOnlyList<TransactionRecord>> Execute)
{
    /// <summary>The library's listeners, as the catalogued properties run them.</summary>
    public static DmaListenerImplementation Model { get; } = new("the model", ListenerRun.Execute);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
