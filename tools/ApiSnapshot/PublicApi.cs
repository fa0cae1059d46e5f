using System.Globalization;
using System.Reflection;
using System.Text;

namespace Verify.ApiSnapshot;

/// <summary>
/// The public surface of a library assembly as text, one line per type and member in a fixed order, so a change to it
/// shows as a diff of docs/api/*.txt. Written by <c>scripts/update-api-snapshot.sh</c>; compared by tests/Architecture.
/// </summary>
public static class PublicApi
{
    /// <summary>The library assemblies whose surface is snapshotted.</summary>
    public static IReadOnlyList<Assembly> Libraries { get; } =
    [
        typeof(Verify.MemoryMap.AddressRange).Assembly,
        typeof(Verify.Vfio.DmaMapping).Assembly,
        typeof(Verify.IommuModel.PageTables.IoPageTable).Assembly,
    ];

    /// <summary>The snapshot file of an assembly, relative to the repository root.</summary>
    /// <param name="assembly">A library assembly.</param>
    /// <returns><c>docs/api/NAME.txt</c>.</returns>
    public static string FileOf(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return Path.Combine("docs", "api", assembly.GetName().Name + ".txt");
    }

    /// <summary>The surface of <paramref name="assembly"/>.</summary>
    /// <param name="assembly">The assembly.</param>
    /// <returns>The text, ending with a newline.</returns>
    public static string Describe(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.Append(Header(type)).Append('\n');
            foreach (string member in Members(type).Order(StringComparer.Ordinal))
            {
                text.Append("  ").Append(member).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string Header(Type type)
    {
        string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? (IsReadOnly(type) ? "readonly struct" : "struct")
            : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"{kind} {Name(type)}{(bases.Count > 0 ? " : " + string.Join(", ", bases) : "")}";
    }

    private static bool IsReadOnly(Type type) => type.GetCustomAttributes().Any(a => a.GetType().Name == "IsReadOnlyAttribute");

    private static IEnumerable<string> Members(Type type)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.IsEnum)
        {
            foreach (var name in Enum.GetNames(type))
            {
                yield return $"{name} = {Convert.ToUInt64(Enum.Parse(type, name), CultureInfo.InvariantCulture)}";
            }

            yield break;
        }

        foreach (var c in type.GetConstructors(flags))
        {
            yield return $"ctor({Parameters(c)})";
        }

        foreach (var f in type.GetFields(flags))
        {
            yield return $"{(f.IsStatic ? "static " : "")}{(f.IsLiteral ? "const " : f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}";
        }

        foreach (var p in type.GetProperties(flags))
        {
            var get = p.GetMethod is { IsPublic: true } ? "get; " : "";
            var set = p.SetMethod is { IsPublic: true } s ? (s.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") ? "init; " : "set; ") : "";
            string index = p.GetIndexParameters() is { Length: > 0 } ip ? $"[{string.Join(", ", ip.Select(x => $"{Name(x.ParameterType)} {x.Name}"))}]" : "";
            yield return $"{(IsStatic(p) ? "static " : "")}{Name(p.PropertyType)} {p.Name}{index} {{ {get}{set}}}";
        }

        foreach (var e in type.GetEvents(flags))
        {
            yield return $"event {Name(e.EventHandlerType!)} {e.Name}";
        }

        foreach (var m in type.GetMethods(flags).Where(m => !m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal)))
        {
            string generic = m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";
            yield return $"{(m.IsStatic ? "static " : m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal ? "virtual " : "")}{Name(m.ReturnType)} {m.Name}{generic}({Parameters(m)})";
        }
    }

    private static bool IsStatic(PropertyInfo p) => (p.GetMethod ?? p.SetMethod)?.IsStatic == true;

    private static string Parameters(MethodBase m) =>
        string.Join(", ", m.GetParameters().Select(p => $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string Name(Type type)
    {
        if (type.IsByRef)
        {
            return Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        string name = type.IsNested ? $"{Name(type.DeclaringType!)}.{type.Name}" : $"{type.Namespace}.{type.Name}";
        if (type.IsGenericType)
        {
            name = name[..name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }
}
