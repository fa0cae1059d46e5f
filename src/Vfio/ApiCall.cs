namespace Verify.Vfio;

/// <summary>One call a backend received and what it returned, for reports.</summary>
/// <param name="Operation">The call.</param>
/// <param name="Result">Its result.</param>
public sealed record ApiCall(DmaOperation Operation, DmaResult Result)
{
    /// <summary>Prints <c>UNMAP [0xc0000..0xc4000) =&gt; ok 0x4000</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Operation} => {Result}";
}
