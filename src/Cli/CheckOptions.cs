using System.Globalization;

namespace Verify.Cli;

/// <summary>The text forms of <c>verify check</c>'s <c>--time</c> and <c>--shard</c>.</summary>
internal static class CheckOptions
{
    /// <summary>Reads a duration: <c>90</c> or <c>90s</c> (seconds), <c>5m</c>, <c>1h</c>.</summary>
    public static TimeSpan ParseTime(string text)
    {
        string t = text.Trim();
        char last = t.Length > 0 ? t[^1] : ' ';
        double factor = last switch { 'h' => 3600, 'm' => 60, _ => 1 };
        string digits = last is 'h' or 'm' or 's' ? t[..^1] : t;
        return double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) && n > 0 && n * factor <= 7 * 24 * 3600
            ? TimeSpan.FromSeconds(n * factor)
            : throw new FormatException($"--time '{text}': expected a duration like 60s, 5m or 1h");
    }

    /// <summary>Reads <c>i/n</c>: shard i (from 1) of n.</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        string[] parts = text.Split('/', StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && i >= 1 && i <= n
            ? (i, n)
            : throw new FormatException($"--shard '{text}': expected i/n with 1 <= i <= n, like 2/4");
    }

    /// <summary>The properties of shard <paramref name="index"/> of <paramref name="count"/>: every n-th of the list
    /// sorted by id, starting at the i-th, so the shards are disjoint, cover everything, and do not depend on the
    /// machine or the run.</summary>
    public static IReadOnlyList<T> Shard<T>(IReadOnlyList<T> properties, int index, int count) =>
        [.. properties.Where((_, k) => k % count == index - 1)];
}
