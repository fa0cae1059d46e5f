using System.Globalization;
using System.Text;

namespace Verify.Qemu;

/// <summary>
/// Compares a fresh recording with the committed fixture, line by line, and describes the first
/// place they part. The <c>qemu:</c> version line is not compared: a distribution rebuild of the same
/// QEMU must not fail the check unless the memory maps it produces change; a differing version is
/// still reported beside any real difference so the cause is visible.
/// </summary>
public static class TranscriptDrift
{
    /// <summary>Lines of context shown before and after the first difference.</summary>
    public const int Context = 3;

    /// <summary>Describes where <paramref name="recorded"/> first differs from <paramref name="committed"/>.</summary>
    /// <param name="committed">The fixture's text.</param>
    /// <param name="recorded">The new recording's text.</param>
    /// <param name="fixtureName">The fixture's file name, for the diff header.</param>
    /// <returns><see langword="null"/> when they agree (apart from the version line); else a unified-style excerpt.</returns>
    public static string? FirstDifference(string committed, string recorded, string fixtureName)
    {
        ArgumentNullException.ThrowIfNull(committed);
        ArgumentNullException.ThrowIfNull(recorded);
        string[] before = committed.Split('\n');
        string[] after = recorded.Split('\n');
        int first = -1;
        for (int i = 0; i < Math.Max(before.Length, after.Length); i++)
        {
            string? b = i < before.Length ? before[i] : null;
            string? a = i < after.Length ? after[i] : null;
            bool bothVersion = b is not null && a is not null
                && b.StartsWith(QemuTranscript.VersionKey, StringComparison.Ordinal)
                && a.StartsWith(QemuTranscript.VersionKey, StringComparison.Ordinal);
            if (b != a && !bothVersion)
            {
                first = i;
                break;
            }
        }

        if (first < 0)
        {
            return null;
        }

        // Show where the difference is (the step and section it falls in) and a few lines around it.
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"--- {fixtureName} (committed)\n+++ {fixtureName} (recorded now)\n");
        string version = VersionChange(before, after);
        if (version.Length > 0)
        {
            text.Append(version).Append('\n');
        }

        string where = string.Join(" / ", Enclosing(before, first));
        text.Append(CultureInfo.InvariantCulture, $"@@ line {first + 1}{(where.Length > 0 ? ": " + where : string.Empty)} @@\n");
        int from = Math.Max(0, first - Context);
        for (int i = from; i < first; i++)
        {
            text.Append(' ').Append(before[i]).Append('\n');
        }

        for (int i = first; i < Math.Min(before.Length, first + Context + 1); i++)
        {
            text.Append('-').Append(before[i]).Append('\n');
        }

        for (int i = first; i < Math.Min(after.Length, first + Context + 1); i++)
        {
            text.Append('+').Append(after[i]).Append('\n');
        }

        return text.ToString();
    }

    private static string VersionChange(string[] before, string[] after)
    {
        string? b = before.FirstOrDefault(l => l.StartsWith(QemuTranscript.VersionKey, StringComparison.Ordinal));
        string? a = after.FirstOrDefault(l => l.StartsWith(QemuTranscript.VersionKey, StringComparison.Ordinal));
        return b != a ? $"note: the fixture was recorded with '{b}', this recording with '{a}'" : string.Empty;
    }

    private static IEnumerable<string> Enclosing(string[] lines, int index)
    {
        string? step = null;
        string? section = null;
        for (int i = Math.Min(index, lines.Length - 1); i >= 0 && step is null; i--)
        {
            if (section is null && lines[i].StartsWith("--- ", StringComparison.Ordinal))
            {
                section = lines[i];
            }
            else if (lines[i].StartsWith("=== ", StringComparison.Ordinal))
            {
                step = lines[i];
            }
        }

        return new[] { step, section }.OfType<string>();
    }
}
