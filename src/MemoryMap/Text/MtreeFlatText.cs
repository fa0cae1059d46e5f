using System.Collections.Immutable;
using System.Globalization;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// Reads and writes the flattened-view listing of QEMU's <c>info mtree -f</c>
/// (<c>mtree_print_flatview</c> in <c>system/memory.c</c>).
/// </summary>
/// <remarks>
/// <para>The format, one section per distinct FlatView:</para>
/// <code>
/// FlatView #0
///  AS "memory", root: system
///  Root memory region: system
///   0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM
///   00000000000c0000-00000000000c3fff (prio 1, rom): pc.ram @00000000000c0000 KVM
///
/// </code>
/// <para>A range line is <c>START-LAST (prio N, [nv-]KIND): NAME[ @OFFSET][ WORD...]</c>: hex start and last
/// address (a range ending at 2^64 prints <c>ffffffffffffffff</c>), the region's priority, the kind
/// (<c>rom</c> for any read-only range, else <c>ramd</c>, <c>romd</c>, <c>ram</c> or <c>i/o</c>), the
/// region name (which may contain spaces), the offset in the region when it is not zero, then trailing
/// words: the accelerator that maps the range (<c>KVM</c>, once per address space), owners
/// (<c>info mtree -f -o</c>), or anything else, kept in <see cref="MtreeFlatSection.Annotations"/>.
/// The name ends at the first <c>@</c>+16-hex-digit word or marker word (an accelerator name,
/// <c>orphan</c>, <c>owner:{...}</c>, <c>parent:{...}</c>, <c>[...]</c>); see <see cref="Write(MtreeFlatDump)"/>
/// for how the writer keeps that unambiguous.</para>
/// <para>Also read: lines without <c>prio N, </c> (a proposed QEMU change drops it; priority 0), the
/// attribute pairs of old QEMU (<c>RW</c> -&gt; ram, <c>R-</c> and <c>--</c> -&gt; rom, <c>-W</c> -&gt; i/o, a ROM
/// device out of ROM mode), and <c>[DETECTED OVERFLOW!]</c> before the indent as QEMU's tree printer puts it
/// (kept as the range's first annotation). Blank lines between sections are ignored; anything else
/// (a monitor prompt, the tree listing, the dispatch tree of <c>-d</c>) is an error.</para>
/// <para>Reading is linear in the text and allocates the result plus one string per distinct region name
/// or word; it never uses regular expressions.</para>
/// </remarks>
public static class MtreeFlatText
{
    /// <summary>Reads a whole <c>info mtree -f</c> listing.</summary>
    /// <param name="text">The text; <c>\n</c> or <c>\r\n</c> line ends.</param>
    /// <returns>The dump.</returns>
    /// <exception cref="MtreeFormatException">A line is malformed, or ranges of one section overlap or are out
    /// of order; the message names the line number(s) and what was expected.</exception>
    public static MtreeFlatDump Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new MtreeFlatReader();
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            reader.Feed(line);
        }

        return reader.Finish(trailingLineBreak: text.EndsWith('\n'));
    }

    /// <summary>Reads a whole <c>info mtree -f</c> listing line by line.</summary>
    /// <param name="reader">The text.</param>
    /// <returns>The dump.</returns>
    /// <exception cref="MtreeFormatException">As for <see cref="Read(string)"/>.</exception>
    public static MtreeFlatDump Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var state = new MtreeFlatReader();
        while (reader.ReadLine() is { } line)
        {
            state.Feed(line);
        }

        return state.Finish(trailingLineBreak: true);
    }

    /// <summary>
    /// Writes <paramref name="dump"/> as QEMU prints it: sections numbered from <c>#0</c>, each followed by a
    /// blank line, every range line with 16-digit hex addresses and its annotations after the name.
    /// </summary>
    /// <param name="dump">The dump.</param>
    /// <returns>The text, ending in a line break (empty for no sections).</returns>
    /// <remarks>
    /// Where QEMU's text would be ambiguous the writer prints an explicit <c>@0000000000000000</c>: for a range
    /// at offset 0 whose first annotation is not a marker word, which the reader would otherwise take as part of
    /// the region name. QEMU itself never prints such a word, so its dumps are unaffected.
    /// </remarks>
    public static string Write(MtreeFlatDump dump)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        Write(dump, text);
        return text.ToString();
    }

    /// <summary>Writes <paramref name="dump"/> to <paramref name="writer"/>; see <see cref="Write(MtreeFlatDump)"/>.</summary>
    /// <param name="dump">The dump.</param>
    /// <param name="writer">Where the text goes; <c>\n</c> line ends.</param>
    public static void Write(MtreeFlatDump dump, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(dump);
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> buffer = stackalloc char[16];
        for (int s = 0; s < dump.Sections.Length; s++)
        {
            var section = dump.Sections[s];
            var start = s == 0 ? dump.Start : MtreeFlatStart.Header;
            if (start == MtreeFlatStart.Header)
            {
                writer.Write(MtreeSyntax.FlatViewHeader);
                writer.Write(dump.Numbers[s].ToString(CultureInfo.InvariantCulture));
                writer.Write('\n');
                foreach (var space in section.AddressSpaces)
                {
                    writer.Write(space.ToString());
                    writer.Write('\n');
                }
            }

            if (start != MtreeFlatStart.Ranges)
            {
                writer.Write(MtreeSyntax.RootPrefix);
                writer.Write(section.RootRegion);
                writer.Write('\n');
            }

            if (section.View.Count == 0)
            {
                writer.Write(MtreeSyntax.NoRenderedFlatView);
                writer.Write('\n');
            }

            for (int i = 0; i < section.View.Count; i++)
            {
                WriteRange(writer, section.View[i], section.Annotations[i], buffer);
            }

            writer.Write('\n');
        }
    }

    private static void WriteRange(TextWriter writer, in FlatRange range, ImmutableArray<string> annotations, Span<char> buffer)
    {
        writer.Write(MtreeSyntax.Indent);
        WriteHex(writer, range.Range.Start, buffer);
        writer.Write('-');
        WriteHex(writer, range.Range.Last, buffer);
        writer.Write(" (prio ");
        writer.Write(range.Priority.ToString(CultureInfo.InvariantCulture));
        writer.Write(", ");
        if (range.NonVolatile)
        {
            writer.Write("nv-");
        }

        writer.Write(MtreeSyntax.KindWord(range));
        writer.Write("): ");
        writer.Write(range.Region);
        bool ambiguousWord = annotations.Length > 0 && !MtreeSyntax.IsMarker(annotations[0]);
        if (range.OffsetInRegion != 0 || ambiguousWord)
        {
            writer.Write(" @");
            WriteHex(writer, range.OffsetInRegion, buffer);
        }

        foreach (string word in annotations)
        {
            writer.Write(' ');
            writer.Write(word);
        }

        writer.Write('\n');
    }

    private static void WriteHex(TextWriter writer, ulong value, Span<char> buffer)
    {
        value.TryFormat(buffer, out int written, "x16", CultureInfo.InvariantCulture);
        writer.Write(buffer[..written]);
    }

    /// <summary>
    /// The view as <c>info mtree -f</c> can express it, which is what <c>Read(Write(x))</c> returns. Per range:
    /// <list type="bullet">
    /// <item>read-only ranges of any kind become read-only <see cref="RegionKind.Ram"/> (QEMU prints <c>rom</c>
    /// for every read-only range, so a read-only ram device, i/o or ROM device is indistinguishable from a ROM);</item>
    /// <item><see cref="RegionKind.Iommu"/> becomes <see cref="RegionKind.Io"/> (both print <c>i/o</c>);</item>
    /// <item>a <see cref="RegionKind.RomDevice"/> out of ROM mode becomes <see cref="RegionKind.Io"/> (QEMU's
    /// <c>memory_region_type</c> prints <c>i/o</c> for it);</item>
    /// <item><see cref="FlatRange.RomdMode"/> becomes true (it is only printed as <c>romd</c> vs <c>i/o</c>);</item>
    /// <item><see cref="FlatRange.DirtyLogMask"/> becomes 0 and <see cref="FlatRange.Unmergeable"/> false (never printed).</item>
    /// </list>
    /// Range, region name, offset, nonvolatile and priority are kept. Neighbours are not merged: the text lists
    /// ranges as the view holds them. Idempotent; returns <paramref name="view"/> when nothing changes.
    /// </summary>
    /// <param name="view">A view.</param>
    /// <returns>The normalized view.</returns>
    public static FlatView Normalize(FlatView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        ImmutableArray<FlatRange>.Builder? changed = null;
        for (int i = 0; i < view.Count; i++)
        {
            var range = view[i];
            var normal = Normalize(range);
            if (changed is null && normal != range)
            {
                changed = ImmutableArray.CreateBuilder<FlatRange>(view.Count);
                changed.AddRange(view.Ranges.AsSpan()[..i]);
            }

            changed?.Add(normal);
        }

        return changed is null ? view : FlatView.CreateTrusted(changed.MoveToImmutable());
    }

    /// <summary>Every section's view normalized (<see cref="Normalize(FlatView)"/>); address spaces, root names
    /// and annotations are kept. Returns <paramref name="dump"/> when nothing changes.</summary>
    /// <param name="dump">A dump.</param>
    /// <returns>The normalized dump.</returns>
    public static MtreeFlatDump Normalize(MtreeFlatDump dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var sections = dump.Sections.Select(s => s.WithView(Normalize(s.View))).ToImmutableArray();
        bool unchanged = true;
        for (int i = 0; i < sections.Length; i++)
        {
            unchanged &= ReferenceEquals(sections[i], dump.Sections[i]);
        }

        return unchanged ? dump : MtreeFlatDump.CreateTrusted(sections, dump.Numbers, dump.Start);
    }

    /// <summary>One range as the text expresses it; see <see cref="Normalize(FlatView)"/>.</summary>
    internal static FlatRange Normalize(in FlatRange range)
    {
        var kind = range.ReadOnly ? RegionKind.Ram
            : range.Kind switch
            {
                RegionKind.Iommu => RegionKind.Io,
                RegionKind.RomDevice when !range.RomdMode => RegionKind.Io,
                var k => k,
            };
        return range with { Kind = kind, RomdMode = true, DirtyLogMask = 0, Unmergeable = false };
    }
}
