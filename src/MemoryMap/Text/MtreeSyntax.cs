using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The lexical rules of an <c>info mtree -f</c> range line that the reader and the writer must agree on:
/// what a trailing word is, which words end a region name, and the kind words.
/// </summary>
/// <remarks>
/// QEMU prints <c>NAME[ @OFFSET][ owner...][ ACCEL...]</c> with no delimiter after the name, and region
/// names contain spaces (vfio's <c>0000:01:00.0 BAR 0 mmaps[0]</c>). So the name ends at the first word
/// that cannot belong to a name: an <c>@</c> followed by exactly 16 hex digits, or a marker
/// (<see cref="IsMarker"/>). A word QEMU's own printer adds is always such a word; any other word
/// after the name would be read as part of it, which is why the writer prints an explicit
/// <c>@0000000000000000</c> before annotations that do not start with a marker.
/// </remarks>
internal static class MtreeSyntax
{
    /// <summary>The indent of range lines (QEMU's <c>MTREE_INDENT</c>).</summary>
    internal const string Indent = "  ";

    internal const string FlatViewHeader = "FlatView #";
    internal const string AddressSpacePrefix = " AS \"";
    internal const string AddressSpaceRootSeparator = "\", root: ";
    internal const string AliasSeparator = ", alias ";
    internal const string RootPrefix = " Root memory region: ";
    internal const string NoRenderedFlatView = "  No rendered FlatView";

    /// <summary>The root name QEMU prints for a FlatView that renders nothing.</summary>
    internal const string NoRoot = "(none)";
    internal const string DispatchPrefix = "  Dispatch";

    /// <summary>The HMP monitor's prompt, which a paste often keeps with the command above the output.</summary>
    internal const string MonitorPrompt = "(qemu)";

    /// <summary>Whether a line is a hand-made elision (<c>...</c>, <c>[...]</c>, <c>…</c>, possibly indented): text
    /// was cut out of the paste, so what follows cannot be trusted to be QEMU's.</summary>
    internal static bool IsElision(ReadOnlySpan<char> line)
    {
        // Alone or followed by the author's note ("... skipped 30 virtio-mmio regions"); no QEMU line starts so.
        var t = line.Trim();
        return t.StartsWith("...", StringComparison.Ordinal) || t.StartsWith("[...]", StringComparison.Ordinal) || t.StartsWith("\u2026", StringComparison.Ordinal)
            || t is "[\u2026]" or "(...)" or "<...>" or "<snip>" or "[snip]";
    }

    /// <summary>What QEMU's tree printer puts before a line whose end wrapped; kept as an annotation.</summary>
    internal const string OverflowMarker = "[DETECTED OVERFLOW!]";

    /// <summary>The printed offset is <c>@</c> and exactly this many hex digits (<c>HWADDR_FMT_plx</c>).</summary>
    internal const int OffsetDigits = 16;

    internal const string RangeLineShape = "\"START-END (prio N, KIND): NAME\"";

    /// <summary>Accelerator names QEMU prints after a range the accelerator maps (<c>AccelClass.name</c>). They are
    /// matched without regard to case: builds of 2019 print <c>kvm</c>, today's <c>KVM</c>, and reading <c>kvm</c> as
    /// part of the name (<c>pc.ram kvm</c>) would make two dumps of one machine disagree on every RAM range.</summary>
    private static readonly string[] Accelerators = ["KVM", "HVF", "WHPX", "NVMM", "TCG", "Xen", "MSHV", "HAX", "QTest"];

    /// <summary>Whether a word ends a region name: an accelerator, <c>orphan</c>, an owner group or a bracketed note.</summary>
    internal static bool IsMarker(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty)
        {
            return false;
        }

        if (word[0] == '[' || word.StartsWith("owner:{", StringComparison.Ordinal) || word.StartsWith("parent:{", StringComparison.Ordinal)
            || word.SequenceEqual("orphan"))
        {
            return true;
        }

        foreach (string accelerator in Accelerators)
        {
            if (word.Equals(accelerator, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a word is a printed offset, <c>@</c> and 16 hex digits.</summary>
    internal static bool IsOffset(ReadOnlySpan<char> word) =>
        word.Length == OffsetDigits + 1 && word[0] == '@' && !word[1..].ContainsAnyExcept(HexDigits);

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>
    /// The length of the word at the start of <paramref name="text"/> (which does not start with a space).
    /// A word starting with <c>[</c> runs to the next <c>]</c>, an <c>owner:{</c>/<c>parent:{</c> group to
    /// the next <c>}</c> (both contain spaces in QEMU's output); any other word runs to the next space.
    /// An unclosed group runs to the end of the text.
    /// </summary>
    internal static int WordLength(ReadOnlySpan<char> text)
    {
        char close = text[0] == '[' ? ']'
            : text.StartsWith("owner:{", StringComparison.Ordinal) || text.StartsWith("parent:{", StringComparison.Ordinal) ? '}'
            : ' ';
        int end = text.IndexOf(close);
        if (end < 0)
        {
            return text.Length;
        }

        if (close == ' ')
        {
            return end;
        }

        // The group ends at its closing character; anything glued to it up to the next space belongs to the word.
        int space = text[(end + 1)..].IndexOf(' ');
        return space < 0 ? text.Length : end + 1 + space;
    }

    /// <summary>Whether <paramref name="annotation"/> reads back as exactly one trailing word.</summary>
    internal static bool IsSingleWord(string annotation) =>
        annotation.Length > 0 && annotation[0] != ' ' && !HasLineBreak(annotation) && WordLength(annotation) == annotation.Length;

    internal static bool HasLineBreak(string text) => text.AsSpan().ContainsAny('\n', '\r');

    /// <summary>
    /// Why <paramref name="name"/> cannot be printed as a region name and read back, or null when it can:
    /// it must be non-empty, have no line break or surrounding space, and no word of it may end a name.
    /// </summary>
    internal static string? RegionNameDefect(string name)
    {
        if (name.Length == 0 || HasLineBreak(name) || char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
        {
            return "is empty, has a line break or starts or ends with white space";
        }

        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            int length = WordLength(rest);
            var word = rest[..length];
            if (IsMarker(word) || IsOffset(word))
            {
                return $"contains the word \"{word}\", which the reader takes as the end of the name";
            }

            rest = rest[length..].TrimStart(' ');
        }

        return null;
    }

    /// <summary>
    /// The kind word QEMU prints for a flat range (<c>mtree_print_flatview</c>): <c>rom</c> for any
    /// read-only range, else the region's type (<c>memory_region_type</c>: ram device, then ROM device in
    /// ROM mode, then RAM, else <c>i/o</c>).
    /// </summary>
    internal static string KindWord(in FlatRange range) =>
        range.ReadOnly ? "rom"
        : range.Kind switch
        {
            RegionKind.RamDevice => "ramd",
            RegionKind.RomDevice when range.RomdMode => "romd",
            RegionKind.Ram => "ram",
            _ => "i/o",
        };

    /// <summary>Refuses a line holding a control character other than a tab: QEMU prints none, and echoing one in an
    /// error would send a terminal escape (a binary file, or escapes copied from a terminal).</summary>
    /// <param name="lineNumber">The line's number.</param>
    /// <param name="line">The line.</param>
    /// <exception cref="MtreeFormatException">The line holds one.</exception>
    internal static void RefuseControlCharacters(int lineNumber, ReadOnlySpan<char> line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            if (char.IsControl(line[i]) && line[i] != '\t')
            {
                throw new MtreeFormatException(lineNumber, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"a control character (U+{(int)line[i]:X4}) at column {i + 1}; 'info mtree' prints none (terminal escapes or binary data pasted in?)"));
            }
        }
    }
}
