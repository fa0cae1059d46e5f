using System.Globalization;

namespace Verify.Harness.Running;

/// <summary>
/// One part of a deterministic split of the property list for a CI matrix (<c>verify check --shard i/n</c>):
/// shard <see cref="Index"/> of <see cref="Count"/> takes every n-th property of the list sorted by id, starting at
/// the i-th. The shards are disjoint, cover the list, and depend only on the list, never on the machine or the run.
/// </summary>
/// <param name="Index">Which shard, from 1.</param>
/// <param name="Count">How many shards; at least 1.</param>
public sealed record PropertyShard(int Index, int Count)
{
    /// <summary>The whole list as one shard.</summary>
    public static PropertyShard All { get; } = new(1, 1);

    /// <summary>Reads <c>i/n</c> with <c>1 &lt;= i &lt;= n</c>.</summary>
    /// <param name="text">The text, like <c>2/4</c>.</param>
    /// <returns>The shard.</returns>
    /// <exception cref="FormatException">The text is not of that form.</exception>
    public static PropertyShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/', StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && i >= 1 && i <= n
            ? new PropertyShard(i, n)
            : throw new FormatException($"--shard '{text}': expected i/n with 1 <= i <= n, like 2/4");
    }

    /// <summary>This shard's part of <paramref name="properties"/>, in id order.</summary>
    /// <param name="properties">The properties to split (any order).</param>
    /// <returns>The properties of this shard.</returns>
    public IReadOnlyList<PropertyDefinition> Select(IEnumerable<PropertyDefinition> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return [.. properties.OrderBy(p => p.Id, StringComparer.Ordinal).Where((_, k) => k % Count == Index - 1)];
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
