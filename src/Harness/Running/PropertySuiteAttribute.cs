namespace Verify.Harness.Running;

/// <summary>
/// Marks a static class in Harness as a property suite. The class exposes
/// <c>public static IReadOnlyList&lt;PropertyDefinition&gt; Definitions</c>; <see cref="PropertyCatalogue"/>
/// finds it, so adding a suite never means editing a shared list.
/// </summary>
/// <param name="suite">The suite's name as <c>verify check --suite</c> filters it.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class PropertySuiteAttribute(string suite) : Attribute
{
    /// <summary>The suite's name.</summary>
    public string Suite { get; } = suite;
}
