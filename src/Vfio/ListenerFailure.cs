namespace Verify.Vfio;

/// <summary>An ioctl of an applied plan that the backend refused. A correct planner never produces one, so each
/// is a planner bug (or a backend the planner's traits describe wrongly).</summary>
/// <param name="Transaction">The listener's transaction number.</param>
/// <param name="Container">The backend's name.</param>
/// <param name="Operation">The refused call.</param>
/// <param name="Result">What the backend returned.</param>
public sealed record ListenerFailure(int Transaction, string Container, DmaOperation Operation, DmaResult Result)
{
    /// <inheritdoc/>
    public override string ToString() => $"transaction {Transaction} {Container}: {Operation} => {Result}";
}
