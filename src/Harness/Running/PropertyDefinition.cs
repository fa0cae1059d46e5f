using FsCheck;

namespace Verify.Harness.Running;

/// <summary>
/// A catalogued property (PROPERTIES.md): its id, the test name that carries the id, its suite
/// and a factory that builds the FsCheck property.
/// </summary>
/// <param name="Id">Catalogue id, for example <c>FV-03</c>.</param>
/// <param name="TestName">The test name, for example <c>P_FV_03_SimplifyPreservesTranslation</c>.</param>
/// <param name="Suite">The area, for example <c>FlatView</c>.</param>
/// <param name="Build">Builds the property; called once per run.</param>
public sealed record PropertyDefinition(string Id, string TestName, string Suite, Func<Property> Build)
{
    /// <inheritdoc/>
    public override string ToString() => TestName;
}
