using System.Globalization;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The line-by-line reader behind <see cref="MtreeTreeText.Read(string, MtreeTreeHints?)"/>: turns the text into
/// sections of <see cref="MtreeTreeNode"/> trees, checking every line's shape. Names are left as printed; making
/// them unique and deciding kinds is <see cref="MtreeTreeBuilder"/>'s job.
/// </summary>
internal sealed class MtreeTreeParser
{
    internal const string AddressSpaceHeader = "address-space: ";
    internal const string MemoryRegionHeader = "memory-region: ";
    internal const string DisabledMarker = "[disabled]";
    internal const string ImpliedName = "(disabled)";
    private const string AliasWord = "alias ";
    private const string LineShape = "\"START-END (prio N, KIND): NAME\" or \"... : alias NAME @TARGET TSTART-TEND\"";

    private readonly List<MtreeTreeSection> _sections = [];
    private readonly List<MtreeTreeNode> _open = [];
    private MtreeTreeSection? _current;
    private int _lineNumber;

    public static List<MtreeTreeSection> Parse(string text)
    {
        var parser = new MtreeTreeParser();
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            parser.Feed(line);
        }

        return parser._sections;
    }

    private void Feed(ReadOnlySpan<char> rawLine)
    {
        _lineNumber++;
        MtreeSyntax.RefuseControlCharacters(_lineNumber, rawLine);
        var line = rawLine.TrimEnd();
        if (line.IsEmpty)
        {
            _current = null;
            return;
        }

        if (line.StartsWith(AddressSpaceHeader, StringComparison.Ordinal))
        {
            var name = Header(line, AddressSpaceHeader);
            // Address spaces sharing a root are printed as consecutive headers above one tree.
            if (_current is not { IsAddressSpace: true, Root: null })
            {
                Open(isAddressSpace: true);
            }

            _current!.Names.Add(name);
            return;
        }

        if (line.StartsWith(MemoryRegionHeader, StringComparison.Ordinal))
        {
            var name = Header(line, MemoryRegionHeader);
            Open(isAddressSpace: false);
            _current!.Names.Add(name);
            return;
        }

        if (MtreeSyntax.IsElision(line))
        {
            throw new MtreeFormatException(_lineNumber,
                $"elision \"{line.Trim()}\": the dump was shortened by hand, so regions are missing; paste the whole output of 'info mtree'");
        }

        if (line.StartsWith(MtreeSyntax.MonitorPrompt, StringComparison.Ordinal))
        {
            // The monitor's prompt and the command a paste often keeps above (or below) the output; no region line
            // starts with it, and the prompt ends whatever section was open.
            _current = null;
            return;
        }

        if (_current is null)
        {
            string hint = line.StartsWith(MtreeSyntax.FlatViewHeader, StringComparison.Ordinal)
                ? "; this looks like 'info mtree -f', not the tree listing"
                : line.TrimStart().Length > 16 && line.TrimStart()[16] == '-'
                    ? "; a region line before any header is a piece cut out of a tree, whose place in it is lost: paste the whole 'info mtree' output"
                    : "";
            throw new MtreeFormatException(_lineNumber,
                $"expected \"{AddressSpaceHeader}NAME\", \"{MemoryRegionHeader}NAME\" or a blank line, got \"{line}\"{hint}");
        }

        Place(ReadRegionLine(line));
    }

    private string Header(ReadOnlySpan<char> line, string prefix)
    {
        var name = line[prefix.Length..];
        if (name.IsEmpty)
        {
            throw MtreeFormatException.Expected(_lineNumber, $"\"{prefix}NAME\" with a name", line);
        }

        return name.ToString();
    }

    private void Open(bool isAddressSpace)
    {
        _current = new MtreeTreeSection { IsAddressSpace = isAddressSpace, HeaderLine = _lineNumber };
        _sections.Add(_current);
        _open.Clear();
    }

    /// <summary>Hangs a node under the last open node one level up, implying the disabled regions QEMU skipped.</summary>
    private void Place(MtreeTreeNode node)
    {
        // Refused before anything is built from it: a deeper tree could not be rendered or printed (RegionTree.MaxNesting).
        if (node.Level - 1 > RegionTree.MaxNesting)
        {
            throw new MtreeFormatException(_lineNumber, string.Create(CultureInfo.InvariantCulture,
                $"region \"{node.Name}\" is printed {node.Level - 1} levels below its root; a region tree nests at most {RegionTree.MaxNesting} levels (QEMU's nest under twenty)"));
        }

        var section = _current!;
        if (section.Root is null)
        {
            section.Root = node.Level == 1 ? node : Implied(null, 1, section.IsAddressSpace ? ImpliedName : section.Names[0]);
            _open.Clear();
            _open.Add(section.Root);
            if (node.Level == 1)
            {
                return;
            }
        }
        else
        {
            while (_open.Count > 0 && _open[^1].Level >= node.Level)
            {
                _open.RemoveAt(_open.Count - 1);
            }

            if (_open.Count == 0)
            {
                throw new MtreeFormatException(_lineNumber,
                    $"expected one region at level 1 per section, got a second one: \"{node.Name}\" (a blank line must separate sections)");
            }
        }

        while (_open[^1].Level < node.Level - 1)
        {
            var implied = Implied(_open[^1], _open[^1].Level + 1, ImpliedName);
            Attach(_open[^1], implied);
            _open.Add(implied);
        }

        Attach(_open[^1], node);
        _open.Add(node);
    }

    private void Attach(MtreeTreeNode parent, MtreeTreeNode child)
    {
        // QEMU prints an alias's own subregions (VT-d adds its interrupt window to each device's vtd-nodmar alias),
        // but render_memory_region renders an alias's target and never its subregions: they are read and dropped.
        if (!parent.IsAlias && !parent.UnderAlias)
        {
            parent.Children.Add(child);
        }
        else
        {
            child.UnderAlias = true;
        }
    }

    // An unprinted disabled region: placed at its parent's start so its children keep their printed addresses.
    private MtreeTreeNode Implied(MtreeTreeNode? parent, int level, string name) => new()
    {
        LineNumber = _lineNumber,
        Level = level,
        Name = name,
        Start = parent?.Start ?? 0,
        Size = AddressSpace.End,
        KindWord = "i/o",
        Disabled = true,
        Implied = true,
    };

    private MtreeTreeNode ReadRegionLine(ReadOnlySpan<char> line)
    {
        var rest = line;
        if (rest.StartsWith(MtreeSyntax.OverflowMarker, StringComparison.Ordinal))
        {
            // QEMU prints the marker before the indent when start + size wrapped; the size below wraps the same way.
            rest = rest[MtreeSyntax.OverflowMarker.Length..];
            rest = rest.StartsWith(' ') ? rest[1..] : rest;
        }

        int indent = rest.Length - rest.TrimStart(' ').Length;
        if (indent < MtreeSyntax.Indent.Length || indent % MtreeSyntax.Indent.Length != 0)
        {
            throw new MtreeFormatException(_lineNumber,
                $"expected an indent of 2, 4, 6, ... spaces before {LineShape}, got {indent} in \"{line}\"");
        }

        rest = rest[indent..];
        if (!TakeHex(ref rest, out ulong start) || !rest.StartsWith('-'))
        {
            throw Shape(line);
        }

        rest = rest[1..];
        if (!TakeHex(ref rest, out ulong last) || !rest.StartsWith(" (", StringComparison.Ordinal))
        {
            throw Shape(line);
        }

        rest = rest[2..];
        int priority = ReadPriority(ref rest, line);
        int close = rest.IndexOf("): ", StringComparison.Ordinal);
        if (close < 0)
        {
            throw Shape(line);
        }

        var kindWord = rest[..close];
        bool nonVolatile = kindWord.StartsWith("nv-", StringComparison.Ordinal);
        kindWord = nonVolatile ? kindWord[3..] : kindWord;
        if (!IsKindWord(kindWord, nonVolatile))
        {
            throw new MtreeFormatException(_lineNumber,
                $"expected KIND ram, rom, romd, ramd or i/o (optionally nv-), or old QEMU's RW, R-, -W or --, got \"{rest[..close]}\" in \"{line}\"");
        }

        var body = rest[(close + 3)..];
        int cut = MarkerStart(body);
        bool disabled = Words(body[cut..]).Contains(DisabledMarker);
        body = body[..cut].TrimEnd(' ');
        if (body.IsEmpty)
        {
            throw Shape(line);
        }

        // An end before the start without QEMU's overflow marker is not something QEMU prints.
        if (last < start && !line.StartsWith(MtreeSyntax.OverflowMarker, StringComparison.Ordinal))
        {
            throw new MtreeFormatException(_lineNumber, $"expected END at or after START, got \"{line}\" (end 0x{last:x} is before start 0x{start:x})");
        }

        // MR_SIZE prints size - 1, modulo 2^64: from 0 an end of ffffffffffffffff is 2^64 (a size of 0 prints like 1).
        UInt128 size = (UInt128)unchecked(last - start) + 1;
        var node = new MtreeTreeNode
        {
            LineNumber = _lineNumber,
            Level = indent / MtreeSyntax.Indent.Length,
            Name = body.ToString(),
            Start = start,
            Size = size,
            Priority = priority,
            KindWord = kindWord.ToString(),
            NonVolatile = nonVolatile,
            Disabled = disabled,
        };
        return body.StartsWith(AliasWord, StringComparison.Ordinal) ? ReadAlias(node, body[AliasWord.Length..], line) : node;
    }

    private int ReadPriority(ref ReadOnlySpan<char> rest, ReadOnlySpan<char> line)
    {
        if (!rest.StartsWith("prio ", StringComparison.Ordinal))
        {
            return 0; // a proposed QEMU change drops the priority; the flat reader reads that form too
        }

        int comma = rest.IndexOf(',');
        if (comma < 5 || !int.TryParse(rest[5..comma], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int priority)
            || !rest[comma..].StartsWith(", ", StringComparison.Ordinal))
        {
            throw MtreeFormatException.Expected(_lineNumber, "\"prio N, \" with a decimal N", line);
        }

        rest = rest[(comma + 2)..];
        return priority;
    }

    /// <summary>Reads <c>NAME @TARGET TSTART-TEND</c>; the name ends at the first <c> @</c>, the target at the last space.</summary>
    private MtreeTreeNode ReadAlias(MtreeTreeNode node, ReadOnlySpan<char> text, ReadOnlySpan<char> line)
    {
        int at = text.IndexOf(" @", StringComparison.Ordinal);
        int space = text.LastIndexOf(' ');
        var window = space < 0 ? default : text[(space + 1)..];
        int dash = window.IndexOf('-');
        if (at <= 0 || space <= at + 2 || dash <= 0
            || !ulong.TryParse(window[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong targetStart)
            || !ulong.TryParse(window[(dash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong targetLast))
        {
            throw MtreeFormatException.Expected(_lineNumber, "\"alias NAME @TARGET TSTART-TEND\"", line);
        }

        // QEMU prints alias_offset and alias_offset + MR_SIZE(size): the window must be as long as the alias.
        if ((UInt128)unchecked(targetLast - targetStart) + 1 != node.Size)
        {
            throw new MtreeFormatException(_lineNumber,
                $"expected a target window as long as the alias ({AddressRange.FormatEnd(node.Size)} bytes), got \"{window}\" in \"{line}\"");
        }

        return new MtreeTreeNode
        {
            LineNumber = node.LineNumber,
            Level = node.Level,
            Name = text[..at].ToString(),
            Start = node.Start,
            Size = node.Size,
            Priority = node.Priority,
            KindWord = node.KindWord,
            NonVolatile = node.NonVolatile,
            Disabled = node.Disabled,
            AliasTarget = text[(at + 2)..space].ToString(),
            AliasOffset = targetStart,
        };
    }

    private static bool IsKindWord(ReadOnlySpan<char> word, bool nonVolatile) =>
        word is "ram" or "rom" or "romd" or "ramd" or "i/o" || (!nonVolatile && word is "RW" or "R-" or "-W" or "--");

    /// <summary>Where the trailing marker words start (<c>[disabled]</c>, owners, <c>orphan</c>); the text length if none.</summary>
    private static int MarkerStart(ReadOnlySpan<char> text)
    {
        int position = 0;
        while (position < text.Length)
        {
            int length = MtreeSyntax.WordLength(text[position..]);
            if (MtreeSyntax.IsMarker(text.Slice(position, length)))
            {
                return position;
            }

            position += length;
            while (position < text.Length && text[position] == ' ')
            {
                position++;
            }
        }

        return text.Length;
    }

    private static List<string> Words(ReadOnlySpan<char> text)
    {
        var words = new List<string>();
        text = text.TrimStart(' ');
        while (!text.IsEmpty)
        {
            int length = MtreeSyntax.WordLength(text);
            words.Add(text[..length].ToString());
            text = text[length..].TrimStart(' ');
        }

        return words;
    }

    private static bool TakeHex(ref ReadOnlySpan<char> text, out ulong value)
    {
        int digits = 0;
        while (digits < text.Length && char.IsAsciiHexDigit(text[digits]))
        {
            digits++;
        }

        value = 0;
        if (digits is 0 or > 16)
        {
            return false;
        }

        value = ulong.Parse(text[..digits], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        text = text[digits..];
        return true;
    }

    private MtreeFormatException Shape(ReadOnlySpan<char> line) => MtreeFormatException.Expected(_lineNumber, LineShape, line);
}
