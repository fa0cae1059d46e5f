using System.Globalization;

namespace Verify.Harness.Core;

/// <summary>
/// The point FsCheck needs to reproduce one generated case: the random state of the last
/// step and the size it ran with. Printed and parsed as <c>seed,gamma,size</c>
/// (the form of <c>VERIFY_REPLAY</c>); a seed without its size does not reproduce the case.
/// </summary>
/// <param name="Seed">Random state.</param>
/// <param name="Gamma">Random stream increment (odd).</param>
/// <param name="Size">The generator size of the failing step.</param>
public readonly record struct ReplaySeed(ulong Seed, ulong Gamma, int Size)
{
    /// <summary>Reads <c>seed,gamma,size</c>.</summary>
    /// <param name="text">Three comma-separated decimal numbers.</param>
    /// <returns>The seed.</returns>
    /// <exception cref="FormatException">The text is not three numbers.</exception>
    public static ReplaySeed Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Trim('"', '(', ')').Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3
            || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong gamma)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int size))
        {
            throw new FormatException($"replay seed '{text}': expected three decimal numbers 'seed,gamma,size'");
        }

        if (gamma % 2 == 0)
        {
            // FsCheck's SplitMix stream needs an odd gamma; every replay line FsCheck prints has one.
            throw new FormatException($"replay seed '{text}': the gamma {gamma} is even; a replay line printed by a run has an odd one");
        }

        return new ReplaySeed(seed, gamma, size);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Seed},{Gamma},{Size}");
}
