using System.Collections.Immutable;
using System.Reflection;

namespace Verify.Harness.Running;

/// <summary>Every property suite in Harness, found through <see cref="PropertySuiteAttribute"/>.</summary>
public static class PropertyCatalogue
{
    private static readonly Lazy<ImmutableArray<PropertyDefinition>> AllDefinitions = new(Discover);

    /// <summary>All catalogued properties, ordered by id.</summary>
    public static ImmutableArray<PropertyDefinition> All => AllDefinitions.Value;

    /// <summary>The property with the given test name or id.</summary>
    /// <param name="nameOrId">A test name (<c>P_FV_01_...</c>) or an id (<c>FV-01</c>).</param>
    /// <returns>The property.</returns>
    /// <exception cref="KeyNotFoundException">No property has that name or id.</exception>
    public static PropertyDefinition Get(string nameOrId) =>
        All.FirstOrDefault(p => p.TestName == nameOrId || p.Id == nameOrId)
        ?? throw new KeyNotFoundException($"no catalogued property is named or numbered '{nameOrId}'");

    /// <summary>The properties that judge an implementation of <paramref name="interfaces"/>, ordered by id.</summary>
    /// <param name="interfaces">What a user's implementation replaces (<see cref="Implementations.ImplementationUnderTest.Implements"/>).</param>
    /// <returns>Every property exercising one of them; empty for <see cref="Implementations.ImplementationInterfaces.None"/>.</returns>
    public static ImmutableArray<PropertyDefinition> Judging(Implementations.ImplementationInterfaces interfaces) =>
        [.. All.Where(p => (p.Exercises & interfaces) != 0)];

    private static ImmutableArray<PropertyDefinition> Discover()
    {
        var found = new List<PropertyDefinition>();
        foreach (var type in typeof(PropertyCatalogue).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<PropertySuiteAttribute>() is null)
            {
                continue;
            }

            var member = type.GetProperty("Definitions", BindingFlags.Public | BindingFlags.Static)
                ?? throw new InvalidOperationException($"property suite {type.Name} has no public static Definitions");
            found.AddRange((IEnumerable<PropertyDefinition>)member.GetValue(null)!);
        }

        var duplicate = found.GroupBy(p => p.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"property id {duplicate.Key} is catalogued twice");
        }

        return [.. found.OrderBy(p => p.Id, StringComparer.Ordinal)];
    }
}
