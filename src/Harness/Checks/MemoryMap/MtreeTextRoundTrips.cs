using System.Globalization;
using System.Text.RegularExpressions;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;

namespace Verify.Harness.Checks.MemoryMap;

/// <summary>
/// FV-05: for an <c>mtree-dump</c> step's dump d, <c>Read(Write(d))</c> equals <c>Normalize(d)</c>, <c>Normalize</c> is
/// idempotent, and, independently of the writer's and reader's code, every written range line matches QEMU's
/// <c>mtree_print_flatview</c> format for its range (a regular expression against the original ranges).
/// </summary>
public sealed partial class MtreeTextRoundTrips() : ScenarioCheck("FV-05")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.LastDump is not { } dump)
        {
            return;
        }

        string text = MtreeFlatText.Write(dump);
        var normal = MtreeFlatText.Normalize(dump);
        var read = MtreeFlatText.Read(text);
        context.Expect(read.Equals(normal), () => $"Read(Write(d)) differs from Normalize(d); read back:{Environment.NewLine}{MtreeFlatText.Write(read)}");
        context.Expect(MtreeFlatText.Normalize(normal).Equals(normal), () => "Normalize is not idempotent");
        foreach (string problem in LineProblems(dump, text))
        {
            context.Expect(false, () => problem);
        }
    }

    /// <summary>QEMU's range line, transcribed from <c>mtree_print_flatview</c> rather than from the writer.</summary>
    [GeneratedRegex(@"^  (?<start>[0-9a-f]{16})-(?<last>[0-9a-f]{16}) \(prio (?<prio>-?[0-9]+), (?<nv>nv-)?(?<kind>ram|rom|romd|ramd|i/o)\): (?<rest>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex RangeLine();

    [GeneratedRegex(@"^(?: @(?<offset>[0-9a-f]{16}))?(?<words>(?: \S.*)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex AfterName();

    /// <summary>Compares each written range line, parsed by regex, with the dump's ranges in order.</summary>
    private static IEnumerable<string> LineProblems(MtreeFlatDump dump, string text)
    {
        var expected = dump.Sections.SelectMany(s => s.View.Ranges.Select((r, i) => (Range: r, Words: s.Annotations[i]))).ToList();
        var lines = text.Split('\n').Where(l => l.Length > 2 && l.StartsWith("  ", StringComparison.Ordinal) && l[2] != 'N').ToList();
        if (lines.Count != expected.Count)
        {
            yield return $"{lines.Count} range lines written for {expected.Count} ranges";
            yield break;
        }

        for (int i = 0; i < lines.Count; i++)
        {
            var (r, words) = expected[i];
            var m = RangeLine().Match(lines[i]);
            if (!m.Success)
            {
                yield return $"line \"{lines[i]}\" is not in QEMU's format";
                continue;
            }

            static ulong Hex(string s) => ulong.Parse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            string kind = r.ReadOnly ? "rom"
                : r.Kind == RegionKind.RamDevice ? "ramd"
                : r.Kind == RegionKind.RomDevice && r.RomdMode ? "romd"
                : r.Kind == RegionKind.Ram ? "ram"
                : "i/o";
            string rest = m.Groups["rest"].Value;
            var after = rest.StartsWith(r.Region, StringComparison.Ordinal) ? AfterName().Match(rest[r.Region.Length..]) : Match.Empty;
            bool ok = Hex(m.Groups["start"].Value) == r.Range.Start
                && Hex(m.Groups["last"].Value) == r.Range.Last
                && int.Parse(m.Groups["prio"].Value, CultureInfo.InvariantCulture) == r.Priority
                && m.Groups["nv"].Success == r.NonVolatile
                && m.Groups["kind"].Value == kind
                && after.Success
                && (after.Groups["offset"].Success ? Hex(after.Groups["offset"].Value) : 0) == r.OffsetInRegion
                && (r.OffsetInRegion == 0 || after.Groups["offset"].Success)
                && after.Groups["words"].Value == string.Concat(words.Select(w => " " + w));
            if (!ok)
            {
                yield return $"line \"{lines[i]}\" does not show {r} with words [{string.Join(", ", words)}] (expected kind {kind})";
            }
        }
    }
}
