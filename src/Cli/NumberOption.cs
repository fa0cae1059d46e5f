using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Verify.Cli;

/// <summary>
/// Numeric options that refuse bad text in the project's words ("--max-test 'ten': expected a whole number from 1 to
/// 2147483647") instead of System.CommandLine's, which names .NET types (<c>System.Nullable`1[System.Int32]</c>).
/// The range is checked while parsing, so a bad value is a usage error (exit 2) before anything runs.
/// </summary>
internal static class NumberOption
{
    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="name">The option, for example <c>--max-test</c>.</param>
    /// <param name="description">The help text.</param>
    /// <param name="min">The least value.</param>
    /// <param name="max">The greatest value.</param>
    /// <returns>The option; its value is null when not given.</returns>
    public static Option<int?> Whole(string name, string description, int min = 1, int max = int.MaxValue) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => Parse<int>(result, name, $"a whole number from {min} to {max}", text =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n : null),
    };

    /// <summary>An unsigned 64-bit number, decimal or 0x hex.</summary>
    /// <param name="name">The option, for example <c>--seed</c>.</param>
    /// <param name="description">The help text.</param>
    /// <returns>The option; its value is null when not given.</returns>
    public static Option<ulong?> Unsigned64(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result => Parse<ulong>(result, name, "a whole number from 0 to 18446744073709551615 (or 0x hex)", text =>
            text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h) ? h : null
                : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong d) ? d : null),
    };

    /// <summary>A number of seconds in (0, <paramref name="max"/>].</summary>
    /// <param name="name">The option, for example <c>--timeout</c>.</param>
    /// <param name="description">The help text.</param>
    /// <param name="max">The greatest value.</param>
    /// <returns>The option; its value is null when not given.</returns>
    public static Option<double?> Seconds(string name, string description, double max) => new(name)
    {
        Description = description,
        HelpName = "SECONDS",
        CustomParser = result => Parse<double>(result, name, FormattableString.Invariant($"seconds, more than 0 and at most {max}"), text =>
            double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= max ? s : null),
    };

    private static T? Parse<T>(ArgumentResult result, string name, string expected, Func<string, T?> read)
        where T : struct
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (read(text.Trim()) is { } value)
        {
            return value;
        }

        result.AddError($"{name} '{text}': expected {expected}");
        return null;
    }
}
