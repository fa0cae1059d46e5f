namespace Verify.Vfio;

/// <summary>One ioctl the naive vfio listener issued.</summary>
/// <param name="Transaction">The listener's transaction number (each <c>begin</c> and each container replay opens one).</param>
/// <param name="Container">The backend's name.</param>
/// <param name="Operation">The ioctl.</param>
/// <param name="Result">What the backend returned (recorded, never thrown).</param>
public sealed record NaiveCall(int Transaction, string Container, DmaOperation Operation, DmaResult Result)
{
    /// <inheritdoc/>
    public override string ToString() => $"#{Transaction} {Container}: {Operation} => {Result}";
}
