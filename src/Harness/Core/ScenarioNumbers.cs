using System.Globalization;
using Verify.MemoryMap;

namespace Verify.Harness.Core;

/// <summary>
/// The number forms of the format: hex (<c>0xc0000</c>, <c>0x1_0000_0000_0000_0000</c>), decimal, binary-unit
/// sizes (<c>4K</c>, <c>2M</c>, <c>1G</c>, up to <c>E</c>), and <c>2^64</c>. Ends and sizes may be 2^64 exactly;
/// addresses and offsets stop at 2^64 - 1. Written back as lowercase hex so a file diffs by value.
/// </summary>
public static class ScenarioNumbers
{
    private const string Units = "KMGTPE";

    /// <summary>Reads a number that may be 2^64 (an end or a size).</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The value, at most 2^64.</param>
    /// <returns>Whether the text is a number of the format no larger than 2^64.</returns>
    public static bool TryParse(string text, out UInt128 value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string t = text.Trim();
        if (t == "2^64")
        {
            value = AddressSpace.End;
            return true;
        }

        // Digit separators are allowed anywhere between digits, as in C# literals and AddressRange's 2^64 form.
        if (t.StartsWith('_') || t.EndsWith('_') || t.Contains("__", StringComparison.Ordinal))
        {
            return false;
        }

        t = t.Replace("_", "", StringComparison.Ordinal);
        bool ok;
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            string digits = t[2..];
            ok = digits.Length is > 0 and <= 32 && UInt128.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else
        {
            int unit = t.Length > 1 ? Units.IndexOf(char.ToUpperInvariant(t[^1])) : -1;
            string digits = unit >= 0 ? t[..^1] : t;
            ok = digits.Length is > 0 and <= 30 && digits.All(char.IsAsciiDigit)
                && UInt128.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            if (ok && unit >= 0)
            {
                int shift = 10 * (unit + 1);
                ok = value <= (AddressSpace.End >> shift);
                value = ok ? value << shift : 0;
            }
        }

        return ok && value <= AddressSpace.End;
    }

    /// <summary>Writes an address, offset, end or size: <c>0x...</c>, and 2^64 as <c>0x1_0000_0000_0000_0000</c>.</summary>
    /// <param name="value">At most 2^64.</param>
    /// <returns>The text.</returns>
    public static string Format(UInt128 value) => AddressRange.FormatEnd(value);
}
