namespace Verify.Harness.Hosts;

/// <summary>What one step did to one device's container.</summary>
/// <param name="Ioctls">Ioctls the container received during the step.</param>
/// <param name="Collateral">Bytes that translate the same before and after the step but were unmapped in between
/// (<see cref="StepWindow"/>).</param>
public sealed record DeviceEffect(int Ioctls, UInt128 Collateral);
