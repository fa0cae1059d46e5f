using System.Collections;
using System.Reflection;
using Verify.ApiSnapshot;

namespace Verify.Architecture;

// default(T) of a public struct is always reachable (arrays, uninitialised fields, `default`), so it must be a valid
// value: no non-nullable reference property is null, and it prints, hashes and compares without throwing.
public class StructDefaultTests
{
    private static readonly NullabilityInfoContext Nullability = new();

    private static IEnumerable<Type> PublicStructs() =>
        PublicApi.Libraries.SelectMany(a => a.GetExportedTypes()).Where(t => t.IsValueType && !t.IsEnum && !t.IsGenericTypeDefinition);

    public static TheoryData<string> Structs() => [.. PublicStructs().Select(t => t.FullName!)];

    [Theory]
    [MemberData(nameof(Structs))]
    public void The_default_value_is_valid(string name)
    {
        var type = PublicStructs().Single(t => t.FullName == name);
        object value = Activator.CreateInstance(type)!;
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            object? got;
            try
            {
                got = p.GetValue(value);
            }
            catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException)
            {
                continue; // a documented "not available on this value" (e.g. a result's detail on failure) is fine
            }

            if (!p.PropertyType.IsValueType && Nullability.Create(p).ReadState == NullabilityState.NotNull)
            {
                Assert.True(got is not null, $"default({type.Name}).{p.Name} is null but not declared nullable");
            }
        }

        _ = value.ToString();
        _ = value.GetHashCode();
        Assert.True(value.Equals(Activator.CreateInstance(type)), $"default({type.Name}) does not equal itself");
    }
}
