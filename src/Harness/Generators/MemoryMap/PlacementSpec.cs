using System.Globalization;

namespace Verify.Harness.Generators.MemoryMap;

/// <summary>A subregion placement of a generated tree. Inside a whole-space parent the address is
/// <c>window start + AddressUnits</c>; inside any other parent it is relative: <c>AddressUnits * unit</c>.</summary>
/// <param name="Parent">Parent name.</param>
/// <param name="Child">Child name.</param>
/// <param name="AddressUnits">Address in units.</param>
/// <param name="Priority">Priority.</param>
public sealed record PlacementSpec(string Parent, string Child, ulong AddressUnits, int Priority)
{
    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"place {Child} in {Parent} at {AddressUnits}u prio {Priority}");
}
