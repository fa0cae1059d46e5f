using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Text;
using Verify.Qemu;

namespace Verify.Cli;

/// <summary>
/// A dump file as a user hands it over: either form of <c>info mtree</c>, told apart by its first header (the tree
/// form's <c>address-space:</c>/<c>memory-region:</c>, anything else is read as the flat form). A tree is read with
/// QEMU's region facts (<see cref="QemuRegionFacts"/>) and the user's <c>--hint</c>s, and stands for the flat
/// listing it renders to.
/// </summary>
internal sealed class MtreeInput
{
    /// <summary>The <c>--hint</c> argument's shape.</summary>
    public const string HintShape = "mmio:NAME, container:NAME or readonly:NAME";

    /// <summary>The repeatable <c>--hint KIND:NAME</c> option of the commands that read tree dumps.</summary>
    /// <returns>A new option (an option belongs to one command).</returns>
    public static System.CommandLine.Option<string[]> HintOption() => new("--hint")
    {
        HelpName = "KIND:NAME",
        Description = $"for tree dumps, what the tree does not say, repeatable: {HintShape} (QEMU's own region facts are always applied)",
        DefaultValueFactory = _ => [],
    };

    private MtreeInput(FileInfo file, MtreeTreeDump? tree, MtreeFlatDump flat)
    {
        File = file;
        Tree = tree;
        Flat = flat;
    }

    /// <summary>The file read.</summary>
    public FileInfo File { get; }

    /// <summary>The tree, when the file is the tree form.</summary>
    public MtreeTreeDump? Tree { get; }

    /// <summary>The flat listing: the file's own, or the tree's render.</summary>
    public MtreeFlatDump Flat { get; }

    /// <summary>What reading the tree assumed, one line each (empty for the flat form).</summary>
    public ImmutableArray<string> Assumptions =>
        Tree is null ? [] : [.. Tree.Spaces.Concat(Tree.Regions).SelectMany(s => s.Assumptions).Distinct(StringComparer.Ordinal)];

    /// <summary>Reads a dump file of either form.</summary>
    /// <param name="file">The file.</param>
    /// <param name="hints">Hints for the tree form, QEMU's facts included (<see cref="Hints"/>).</param>
    /// <returns>The input.</returns>
    /// <exception cref="CommandInputException">The file cannot be read or is malformed; the message names the file and line.</exception>
    public static MtreeInput Read(FileInfo file, MtreeTreeHints hints)
    {
        string text = InputFile.ReadText(file, "an 'info mtree' dump");

        try
        {
            if (IsTreeForm(text))
            {
                var tree = MtreeTreeText.Read(text, hints);
                return new MtreeInput(file, tree, tree.ToFlat());
            }

            return new MtreeInput(file, null, MtreeFlatText.Read(text));
        }
        catch (MtreeFormatException error)
        {
            throw new CommandInputException($"{file}: {error.Message}");
        }
        catch (InvalidOperationException error)
        {
            // The tree read but cannot render: an alias chain past the nesting limit, or an alias cycle through placements.
            throw new CommandInputException($"{file}: {error.Message}");
        }
    }

    /// <summary>QEMU's region facts plus the user's <c>--hint</c> arguments.</summary>
    /// <param name="hints">Arguments shaped as <see cref="HintShape"/>.</param>
    /// <returns>The hints.</returns>
    /// <exception cref="CommandInputException">An argument is malformed.</exception>
    public static MtreeTreeHints Hints(IEnumerable<string> hints)
    {
        var result = QemuRegionFacts.Hints;
        foreach (string hint in hints)
        {
            int colon = hint.IndexOf(':', StringComparison.Ordinal);
            string name = colon < 0 ? "" : hint[(colon + 1)..];
            result = (colon < 0 ? "" : hint[..colon]) switch
            {
                _ when name.Length == 0 => throw new CommandInputException($"--hint {hint}: expected {HintShape}"),
                "mmio" => result with { TerminalIo = result.TerminalIo.Add(name), ContainerIo = result.ContainerIo.Remove(name) },
                "container" => result with { ContainerIo = result.ContainerIo.Add(name), TerminalIo = result.TerminalIo.Remove(name) },
                "readonly" => result with { ReadOnlyAliases = result.ReadOnlyAliases.Add(name) },
                _ => throw new CommandInputException($"--hint {hint}: expected {HintShape}"),
            };
        }

        return result;
    }

    /// <summary>The flat section that shows one address space (with every address space sharing it).</summary>
    /// <param name="addressSpace">The address space's name.</param>
    /// <returns>The section as <c>info mtree -f</c> prints it.</returns>
    /// <exception cref="CommandInputException">The dump has no such address space; the message lists those it has.</exception>
    public MtreeFlatSection SectionOf(string addressSpace)
    {
        var section = Flat.SectionFor(addressSpace) ?? throw new CommandInputException(
            $"{File}: no address space \"{addressSpace}\" (it has {Listed(Flat.Sections.SelectMany(s => s.AddressSpaces).Select(a => a.Name))})");

        // QEMU lists an address space once per dump; a second, different listing means two dumps pasted into one file,
        // and taking the first would compare the wrong state without a word.
        var listings = Flat.Sections.Where(s => s.AddressSpaces.Any(a => a.Name == addressSpace)).ToList();
        if (listings.Skip(1).Any(other => !other.View.Equals(section.View)))
        {
            string lines = Tree is null ? "" : $" (headers at lines {string.Join(", ", Tree.Spaces.Where(t => t.Names.Contains(addressSpace)).Select(t => t.HeaderLine))})";
            throw new CommandInputException(
                $"{File}: address space \"{addressSpace}\" is listed {listings.Count} times with different contents{lines}: two dumps pasted together? expected one dump per file");
        }

        return section;
    }

    /// <summary>Names as a message lists them: quoted, comma-separated, <c>none</c> for none.</summary>
    /// <param name="names">The names.</param>
    /// <returns>The list.</returns>
    public static string Listed(IEnumerable<string> names)
    {
        var list = names.Select(n => $"\"{n}\"").ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    // START-END as both forms print it: 16 hex digits and a dash.
    private static bool IsRangeLine(ReadOnlySpan<char> text) =>
        text.Length > 16 && text[16] == '-' && !text[..16].ContainsAnyExcept("0123456789abcdefABCDEF");

    // The tree form always starts a section with a header; the flat form never prints one of these.
    private static bool IsTreeForm(string text)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var trimmed = line.TrimEnd();
            if (trimmed.IsEmpty || trimmed.StartsWith("(qemu)", StringComparison.Ordinal))
            {
                continue;
            }

            // A range line indented other than the flat form's two spaces is a piece of a tree.
            int indent = trimmed.Length - trimmed.TrimStart(' ').Length;
            return trimmed.StartsWith("address-space: ", StringComparison.Ordinal) || trimmed.StartsWith("memory-region: ", StringComparison.Ordinal)
                || (indent != 2 && IsRangeLine(trimmed[indent..]));
        }

        return false;
    }
}
