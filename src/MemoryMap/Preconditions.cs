using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Verify.MemoryMap;

/// <summary>
/// The single gate every public boundary goes through. A bad argument throws
/// <see cref="ArgumentOutOfRangeException"/> naming the parameter, the value and the bound.
/// </summary>
/// <remarks>Messages are interpolated strings formatted only when the check fails
/// (<see cref="FailureMessageHandler"/>), so a passing check costs a comparison, not a string: ranges are
/// built on every hot path.</remarks>
internal static class Preconditions
{
    // Generic so that a passing check does not box the value (a UInt128 end on every range built).
    internal static void CheckArgumentRange<T>(
        bool condition,
        T actualValue,
        [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessageHandler expectation,
        string paramName)
    {
        if (!condition)
        {
            Throw(paramName, actualValue, expectation.ToStringAndClear());
        }
    }

    internal static void CheckArgumentRange<T>(bool condition, T actualValue, string expectation, string paramName)
    {
        if (!condition)
        {
            Throw(paramName, actualValue, expectation);
        }
    }

    internal static void CheckState(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
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

    internal static void CheckState(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessageHandler message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message.ToStringAndClear());
        }
    }

    [DoesNotReturn]
    internal static void Throw(string paramName, object? actualValue, string expectation) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, expectation);

    /// <summary>Formats its interpolated string only when the guarded condition is false.</summary>
    [InterpolatedStringHandler]
    internal ref struct FailureMessageHandler
    {
        private StringBuilder? _text;

        public FailureMessageHandler(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
        {
            _text = condition ? null : new StringBuilder(literalLength + (formattedCount * 16));
            shouldAppend = !condition;
        }

        public readonly void AppendLiteral(string value) => _text?.Append(value);

        public readonly void AppendFormatted<T>(T value) => _text?.Append(System.Globalization.CultureInfo.InvariantCulture, $"{value}");

        public readonly void AppendFormatted<T>(T value, string? format)
            where T : IFormattable => _text?.Append(value?.ToString(format, System.Globalization.CultureInfo.InvariantCulture));

        public string ToStringAndClear()
        {
            string result = _text?.ToString() ?? "";
            _text = null;
            return result;
        }
    }
}
