using System.Globalization;

namespace Verify.Cli;

/// <summary>The text form of <c>verify check</c>'s <c>--time</c>.</summary>
internal static class CheckOptions
{
    /// <summary>Reads a duration: <c>90</c> or <c>90s</c> (seconds), <c>5m</c>, <c>1h</c>.</summary>
    public static TimeSpan ParseTime(string text, string option = "--time")
    {
        string t = text.Trim();
        char last = t.Length > 0 ? t[^1] : ' ';
        double factor = last switch { 'h' => 3600, 'm' => 60, _ => 1 };
        string digits = last is 'h' or 'm' or 's' ? t[..^1] : t;
        return double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) && n > 0 && n * factor <= 7 * 24 * 3600
            ? TimeSpan.FromSeconds(n * factor)
            : throw new FormatException($"{option} '{text}': expected a duration like 60s, 5m or 1h");
    }
}
