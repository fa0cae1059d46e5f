using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Verify.MemoryMap;

/// <summary>
/// The single gate every public boundary goes through. A bad argument throws
/// <see cref="ArgumentOutOfRangeException"/> naming the parameter, the value and the bound.
/// </summary>
internal static class Preconditions
{
    internal static void CheckArgumentRange(
        bool condition, object? actualValue, string expectation,
        [CallerArgumentExpression(nameof(condition))] string? conditionText = null,
        string? paramName = null)
    {
        if (!condition)
        {
            Throw(paramName ?? conditionText ?? "argument", actualValue, expectation);
        }
    }

    internal static T CheckNotNull<T>([NotNull] T? value, string paramName)
        where T : class
    {
        if (value is null)
        {
            throw new ArgumentNullException(paramName);
        }

        return value;
    }

    internal static void CheckState(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    [DoesNotReturn]
    internal static void Throw(string paramName, object? actualValue, string expectation) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, expectation);
}
