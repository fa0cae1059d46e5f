using System.Collections.Immutable;
using System.Globalization;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// The line-by-line state machine behind <see cref="MtreeFlatText.Read(string)"/>: one instance per read, fed
/// spans so that reading a string allocates no line strings.
/// </summary>
/// <remarks>
/// Sections go header (<c>FlatView #N</c>), <c>AS</c> lines, the <c>Root memory region:</c> line, then range
/// lines or <c>No rendered FlatView</c>, then a blank line. Ranges are checked against their predecessor as
/// they arrive (order, overlap), so a whole read is one linear pass. Region names and words are interned:
/// a dump repeats a few dozen names over thousands of lines.
/// </remarks>
internal sealed class MtreeFlatReader
{
    private enum State
    {
        BetweenSections,
        SectionHeader,
        Ranges,
        EmptyView,
    }

    private readonly ImmutableArray<MtreeFlatSection>.Builder _sections = ImmutableArray.CreateBuilder<MtreeFlatSection>();
    private readonly ImmutableArray<int>.Builder _numbers = ImmutableArray.CreateBuilder<int>();
    private readonly ImmutableArray<MtreeAddressSpace>.Builder _spaces = ImmutableArray.CreateBuilder<MtreeAddressSpace>();
    private readonly ImmutableArray<FlatRange>.Builder _ranges = ImmutableArray.CreateBuilder<FlatRange>();
    private readonly ImmutableArray<ImmutableArray<string>>.Builder _annotations = ImmutableArray.CreateBuilder<ImmutableArray<string>>();
    private readonly ImmutableArray<string>.Builder _words = ImmutableArray.CreateBuilder<string>();
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stringLookup;
    private readonly Dictionary<string, ImmutableArray<string>> _singleWords = new(StringComparer.Ordinal);

    private State _state = State.BetweenSections;
    private MtreeFlatStart _start = MtreeFlatStart.Header;
    private int _lineNumber;
    private string _root = "";
    private int _previousLine;

    public MtreeFlatReader() => _stringLookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public void Feed(ReadOnlySpan<char> rawLine)
    {
        _lineNumber++;
        MtreeSyntax.RefuseControlCharacters(_lineNumber, rawLine);
        var line = rawLine.TrimEnd();
        if (line.IsEmpty)
        {
            switch (_state)
            {
                case State.SectionHeader:
                    throw MtreeFormatException.Expected(_lineNumber, $"\"{MtreeSyntax.RootPrefix}NAME\"", line);
                case State.Ranges or State.EmptyView:
                    CloseSection();
                    break;
            }

            return;
        }

        if (line.StartsWith(MtreeSyntax.FlatViewHeader, StringComparison.Ordinal))
        {
            OpenSection(line);
            return;
        }

        if (MtreeSyntax.IsElision(line))
        {
            throw new MtreeFormatException(_lineNumber,
                $"elision \"{line.Trim()}\": the dump was shortened by hand, so ranges are missing; paste the whole output of 'info mtree -f'");
        }

        if (_state == State.BetweenSections && line.StartsWith(MtreeSyntax.MonitorPrompt, StringComparison.Ordinal))
        {
            return; // the monitor's prompt and the command a paste often keeps above (or below) the output
        }

        if (_state == State.BetweenSections && _numbers.Count == 0 && StartsBelowHeader(line))
        {
            return;
        }

        switch (_state)
        {
            case State.BetweenSections:
                throw MtreeFormatException.Expected(_lineNumber, $"\"{MtreeSyntax.FlatViewHeader}N\" or a blank line", line);
            case State.SectionHeader:
                ReadHeaderLine(line);
                break;
            case State.Ranges:
                ReadRangeLine(line);
                break;
            default:
                throw MtreeFormatException.Expected(_lineNumber, $"a blank line or \"{MtreeSyntax.FlatViewHeader}N\" after \"{MtreeSyntax.NoRenderedFlatView.Trim()}\"", line);
        }
    }

    public MtreeFlatDump Finish(bool trailingLineBreak)
    {
        if (_state == State.SectionHeader)
        {
            // The text ended before the Root line: name the line that is missing, one past the last.
            throw new MtreeFormatException(_lineNumber + (trailingLineBreak ? 1 : 0), $"expected \"{MtreeSyntax.RootPrefix}NAME\", got the end of the text");
        }

        if (_state is State.Ranges or State.EmptyView)
        {
            CloseSection();
        }

        return MtreeFlatDump.CreateTrusted(_sections.DrainToImmutable(), _numbers.DrainToImmutable(), _start);
    }

    private void OpenSection(ReadOnlySpan<char> line)
    {
        if (_state == State.SectionHeader)
        {
            throw MtreeFormatException.Expected(_lineNumber, $"\"{MtreeSyntax.RootPrefix}NAME\"", line);
        }

        if (_state is State.Ranges or State.EmptyView)
        {
            CloseSection();
        }

        var number = line[MtreeSyntax.FlatViewHeader.Length..];
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            throw MtreeFormatException.Expected(_lineNumber, $"\"{MtreeSyntax.FlatViewHeader}N\" with N a decimal number", line);
        }

        if (_numbers.Count > 0 && n <= _numbers[^1])
        {
            // A paste may keep only some views (#0 then #3), but QEMU numbers them upwards in one dump: going back
            // means a second dump starts here.
            throw new MtreeFormatException(_lineNumber,
                $"expected a FlatView number above #{_numbers[^1]}, got \"{line}\": the numbers go back, so two dumps seem to be pasted together; read them one at a time");
        }

        _numbers.Add(n);
        _state = State.SectionHeader;
    }

    // A paste of one view that starts at its root line or its first range: the view is read as section #0 without
    // address spaces, and the dump remembers where it started so it writes back the same text.
    private bool StartsBelowHeader(ReadOnlySpan<char> line)
    {
        if (line.StartsWith(MtreeSyntax.RootPrefix, StringComparison.Ordinal))
        {
            _start = MtreeFlatStart.RootLine;
            _numbers.Add(0);
            _state = State.SectionHeader;
            ReadHeaderLine(line);
            return true;
        }

        var body = line.StartsWith(MtreeSyntax.OverflowMarker, StringComparison.Ordinal) ? line[MtreeSyntax.OverflowMarker.Length..].TrimStart(' ') : line;
        if (body.StartsWith(MtreeSyntax.Indent, StringComparison.Ordinal) && body.Length > MtreeSyntax.Indent.Length && char.IsAsciiHexDigit(body[MtreeSyntax.Indent.Length]))
        {
            _start = MtreeFlatStart.Ranges;
            _numbers.Add(0);
            _root = MtreeFlatDump.UnknownRoot;
            _state = State.Ranges;
            ReadRangeLine(line);
            return true;
        }

        return false;
    }

    private void CloseSection()
    {
        var view = _ranges.Count == 0 ? FlatView.Empty : FlatView.CreateTrusted(_ranges.DrainToImmutable());
        _sections.Add(MtreeFlatSection.CreateTrusted(_spaces.DrainToImmutable(), _root, view, _annotations.DrainToImmutable()));
        _state = State.BetweenSections;
    }

    private void ReadHeaderLine(ReadOnlySpan<char> line)
    {
        if (line.StartsWith(MtreeSyntax.RootPrefix, StringComparison.Ordinal) && line.Length > MtreeSyntax.RootPrefix.Length)
        {
            _root = Intern(line[MtreeSyntax.RootPrefix.Length..]);
            _state = State.Ranges;
            return;
        }

        if (line.StartsWith(MtreeSyntax.AddressSpacePrefix, StringComparison.Ordinal))
        {
            var body = line[MtreeSyntax.AddressSpacePrefix.Length..];
            int separator = body.IndexOf(MtreeSyntax.AddressSpaceRootSeparator, StringComparison.Ordinal);
            if (separator >= 0)
            {
                var name = body[..separator];
                var root = body[(separator + MtreeSyntax.AddressSpaceRootSeparator.Length)..];
                int alias = root.IndexOf(MtreeSyntax.AliasSeparator, StringComparison.Ordinal);
                var rootName = alias < 0 ? root : root[..alias];
                if (!rootName.IsEmpty && !name.Contains('"'))
                {
                    _spaces.Add(new MtreeAddressSpace(
                        Intern(name), Intern(rootName), alias < 0 ? null : Intern(root[(alias + MtreeSyntax.AliasSeparator.Length)..])));
                    return;
                }
            }
        }

        throw MtreeFormatException.Expected(_lineNumber, $"\"{MtreeSyntax.AddressSpacePrefix}NAME\", root: ROOT\" or \"{MtreeSyntax.RootPrefix}NAME\"", line);
    }

    private void ReadRangeLine(ReadOnlySpan<char> line)
    {
        if (line.SequenceEqual(MtreeSyntax.NoRenderedFlatView) && _ranges.Count == 0)
        {
            _state = State.EmptyView;
            return;
        }

        if (line.StartsWith(MtreeSyntax.DispatchPrefix, StringComparison.Ordinal))
        {
            throw new MtreeFormatException(_lineNumber,
                $"expected {MtreeSyntax.RangeLineShape} or a blank line, got \"{line}\": the dispatch tree of 'info mtree -f -d' is not read; print without -d");
        }

        var rest = line;
        bool overflow = rest.StartsWith(MtreeSyntax.OverflowMarker, StringComparison.Ordinal);
        if (overflow)
        {
            // QEMU's tree printer puts the marker before the indent.
            rest = rest[MtreeSyntax.OverflowMarker.Length..];
            rest = rest.StartsWith(' ') ? rest[1..] : rest;
        }

        if (!rest.StartsWith(MtreeSyntax.Indent, StringComparison.Ordinal)
            || !TakeHex(ref rest, MtreeSyntax.Indent.Length, out ulong start)
            || !rest.StartsWith('-')
            || !TakeHex(ref rest, 1, out ulong last)
            || !rest.StartsWith(" (", StringComparison.Ordinal))
        {
            throw ShapeError(line);
        }

        rest = rest[2..];
        int priority = 0;
        if (rest.StartsWith("prio ", StringComparison.Ordinal))
        {
            int comma = rest.IndexOf(',');
            if (comma < 5 || !int.TryParse(rest[5..comma], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out priority)
                || !rest[comma..].StartsWith(", ", StringComparison.Ordinal))
            {
                throw ShapeError(line);
            }

            rest = rest[(comma + 2)..];
        }

        int close = rest.IndexOf("): ", StringComparison.Ordinal);
        if (close < 0)
        {
            throw ShapeError(line);
        }

        var (kind, readOnly, nonVolatile, romdMode) = ReadKind(rest[..close], line);
        rest = rest[(close + 3)..];
        if (rest.IsEmpty || rest[0] == ' ')
        {
            throw ShapeError(line);
        }

        if (last < start)
        {
            throw new MtreeFormatException(_lineNumber, $"expected END at or after START, got \"{line}\" (end 0x{last:x} is before start 0x{start:x})");
        }

        var range = AddressRange.FromBounds(start, (UInt128)last + 1);
        var (name, offset, annotations) = ReadNameAndWords(rest, overflow, line);
        if ((UInt128)offset + range.Size > AddressSpace.End)
        {
            throw new MtreeFormatException(_lineNumber, $"expected an offset that keeps {range} inside its region, got \"{line}\" (offset 0x{offset:x} runs past 2^64)");
        }

        CheckAfterPrevious(range);
        _ranges.Add(new FlatRange(range, name, kind, offset, readOnly, nonVolatile, romdMode, Priority: priority));
        _annotations.Add(annotations);
        _previousLine = _lineNumber;
    }

    private void CheckAfterPrevious(AddressRange range)
    {
        if (_ranges.Count == 0)
        {
            return;
        }

        var previous = _ranges[^1].Range;
        if (range.Start < previous.Start)
        {
            throw new MtreeFormatException(_previousLine, _lineNumber, $"{previous} and {range} are out of order; ranges must ascend");
        }

        if (range.Start < previous.End)
        {
            throw new MtreeFormatException(_previousLine, _lineNumber, $"{previous} and {range} overlap");
        }
    }

    /// <summary>Reads the kind word: today's <c>[nv-]ram|rom|romd|ramd|i/o</c> or old QEMU's <c>RW</c>-style pair.</summary>
    private (RegionKind Kind, bool ReadOnly, bool NonVolatile, bool RomdMode) ReadKind(ReadOnlySpan<char> word, ReadOnlySpan<char> line)
    {
        bool nonVolatile = word.StartsWith("nv-", StringComparison.Ordinal);
        var kind = nonVolatile ? word[3..] : word;
        switch (kind)
        {
            case "ram":
                return (RegionKind.Ram, false, nonVolatile, true);
            case "rom":
                return (RegionKind.Ram, true, nonVolatile, true);
            case "romd":
                return (RegionKind.RomDevice, false, nonVolatile, true);
            case "ramd":
                return (RegionKind.RamDevice, false, nonVolatile, true);
            case "i/o":
                return (RegionKind.Io, false, nonVolatile, true);
        }

        if (!nonVolatile)
        {
            // Old QEMU printed R (romd_mode) and W (writable): RW cannot tell RAM from MMIO and reads as RAM;
            // R- and -- are read-only (rom); -W is a ROM device out of ROM mode, which prints i/o today.
            switch (kind)
            {
                case "RW":
                    return (RegionKind.Ram, false, false, true);
                case "R-" or "--":
                    return (RegionKind.Ram, true, false, true);
                case "-W":
                    return (RegionKind.Io, false, false, true);
            }
        }

        throw new MtreeFormatException(_lineNumber,
            $"expected KIND ram, rom, romd, ramd or i/o (optionally nv-), got \"{word}\" in \"{line}\"" +
            (kind.SequenceEqual("container") ? "; this looks like the tree listing of 'info mtree', not 'info mtree -f'" : ""));
    }

    /// <summary>Splits <c>NAME[ @OFFSET][ WORD...]</c>: the name ends at the first offset or marker word (see <see cref="MtreeSyntax"/>).</summary>
    private (string Name, ulong Offset, ImmutableArray<string> Words) ReadNameAndWords(ReadOnlySpan<char> text, bool overflow, ReadOnlySpan<char> line)
    {
        int nameEnd = text.Length;
        int wordsStart = text.Length;
        ulong offset = 0;
        int position = 0;
        while (position < text.Length)
        {
            var word = text[position..];
            word = word[..MtreeSyntax.WordLength(word)];
            if (MtreeSyntax.IsOffset(word))
            {
                nameEnd = position;
                wordsStart = position + word.Length;
                offset = ulong.Parse(word[1..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                break;
            }

            if (MtreeSyntax.IsMarker(word))
            {
                nameEnd = position;
                wordsStart = position;
                break;
            }

            position = SkipSpaces(text, position + word.Length);
        }

        var name = text[..nameEnd].TrimEnd(' ');
        if (name.IsEmpty)
        {
            throw ShapeError(line);
        }

        _words.Clear();
        if (overflow)
        {
            _words.Add(MtreeSyntax.OverflowMarker);
        }

        for (position = SkipSpaces(text, wordsStart); position < text.Length;)
        {
            int length = MtreeSyntax.WordLength(text[position..]);
            _words.Add(Intern(text.Slice(position, length)));
            position = SkipSpaces(text, position + length);
        }

        return (Intern(name), offset, Words());
    }

    private ImmutableArray<string> Words()
    {
        switch (_words.Count)
        {
            case 0:
                return [];
            case 1:
                // Most annotated lines carry just "KVM": share one array per distinct word.
                string word = _words[0];
                if (!_singleWords.TryGetValue(word, out var single))
                {
                    single = [word];
                    _singleWords[word] = single;
                }

                return single;
            default:
                return _words.ToImmutable();
        }
    }

    private static int SkipSpaces(ReadOnlySpan<char> text, int position)
    {
        while (position < text.Length && text[position] == ' ')
        {
            position++;
        }

        return position;
    }

    /// <summary>Skips <paramref name="skip"/> characters, then reads 1 to 16 hex digits.</summary>
    private static bool TakeHex(ref ReadOnlySpan<char> text, int skip, out ulong value)
    {
        value = 0;
        if (text.Length < skip)
        {
            return false;
        }

        text = text[skip..];
        int digits = 0;
        while (digits < text.Length && char.IsAsciiHexDigit(text[digits]))
        {
            digits++;
        }

        if (digits is 0 or > 16)
        {
            return false;
        }

        value = ulong.Parse(text[..digits], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        text = text[digits..];
        return true;
    }

    private MtreeFormatException ShapeError(ReadOnlySpan<char> line) =>
        MtreeFormatException.Expected(_lineNumber, MtreeSyntax.RangeLineShape, line);

    private string Intern(ReadOnlySpan<char> text)
    {
        if (!_stringLookup.TryGetValue(text, out string? value))
        {
            value = text.ToString();
            _strings[value] = value;
        }

        return value;
    }
}
