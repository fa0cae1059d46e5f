using System.Collections.Immutable;
using System.Globalization;
using Verify.MemoryMap.Regions;

namespace Verify.MemoryMap.Text;

/// <summary>
/// Turns one address-space section of parsed <c>info mtree</c> nodes into a <see cref="RegionTree"/>: pulls in
/// the <c>memory-region:</c> sections its aliases reach, makes names unique, decides kinds and places children
/// so that they render in QEMU's order.
/// </summary>
/// <remarks>
/// <para><b>One region per target.</b> QEMU prints an alias target both where it is placed (e.g. <c>pci</c> under
/// <c>system</c>) and as its own <c>memory-region:</c> section. A target name resolves to the non-alias region of
/// that name placed in the address-space tree or in an already pulled-in section; only when there is none is
/// the target's own section pulled in, and a pulled-in section is dropped again when another pulled-in tree
/// places a region of its name. A target name that still matches several regions is ambiguous and an error:
/// the text cannot say which one the alias shows.</para>
/// <para><b>Render order.</b> QEMU prints siblings by address, then priority; among equal address and priority
/// in its render order. Children are added in reverse printed order, so that among equal priorities the one
/// printed first renders first, which is exact for siblings at the same address; for overlapping siblings of
/// equal priority at different addresses the text does not carry the order.</para>
/// </remarks>
internal sealed class MtreeTreeBuilder
{
    private const string RootWrapperName = "(root)";

    private readonly Dictionary<string, List<MtreeTreeSection>> _regionSections;
    private readonly ImmutableArray<string>.Builder _assumptions = ImmutableArray.CreateBuilder<string>();
    private readonly MtreeTreeHints _hints;
    private readonly Dictionary<MtreeTreeNode, string> _unique = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly ImmutableDictionary<string, string>.Builder _printed = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);

    private MtreeTreeBuilder(Dictionary<string, List<MtreeTreeSection>> regionSections, MtreeTreeHints hints)
    {
        _regionSections = regionSections;
        _hints = hints;
    }

    public static MtreeTreeDump Build(List<MtreeTreeSection> sections, MtreeTreeHints hints)
    {
        // QEMU prints one memory-region section per distinct alias target; two targets may share a name (two
        // devices' BARs), so a name maps to every section printed under it.
        var regionSections = new Dictionary<string, List<MtreeTreeSection>>(StringComparer.Ordinal);
        foreach (var section in sections.Where(s => !s.IsAddressSpace))
        {
            if (!regionSections.TryGetValue(section.Names[0], out var list))
            {
                regionSections[section.Names[0]] = list = [];
            }

            list.Add(section);
        }

        var spaces = sections.Where(s => s.IsAddressSpace)
            .Select(s => new MtreeTreeBuilder(regionSections, hints).BuildSpace(s))
            .ToImmutableArray();
        var regions = sections.Where(s => !s.IsAddressSpace)
            .Select(s => new MtreeTreeBuilder(regionSections, hints).BuildSpace(s))
            .ToImmutableArray();
        return new MtreeTreeDump(spaces, regions);
    }

    private MtreeTreeSpace BuildSpace(MtreeTreeSection section)
    {
        var root = section.Root ?? new MtreeTreeNode
        {
            LineNumber = section.HeaderLine,
            Level = 1,
            Name = MtreeTreeParser.ImpliedName,
            Start = 0,
            Size = AddressSpace.End,
            KindWord = "i/o",
            Disabled = true,
            Implied = true,
        };
        var trees = Reach(root);
        foreach (var node in trees.SelectMany(t => t.SelfAndDescendants()))
        {
            Name(node, node.Name);
        }

        var targets = ResolveTargets(trees);
        var tree = CreateRoot(root);
        tree = DefineAll(tree, trees, root, targets);
        foreach (var top in trees)
        {
            tree = PlaceChildren(tree, top);
        }

        return new MtreeTreeSpace([.. section.Names], tree, _printed.ToImmutable(), section.HeaderLine, section.IsAddressSpace, _assumptions.ToImmutable());
    }

    /// <summary>The address-space tree plus the sections of every alias target it reaches that it does not place itself.</summary>
    private List<MtreeTreeNode> Reach(MtreeTreeNode root)
    {
        // Breadth first over aliases, each looked at once: a dump is pasted by users and may hold long alias chains,
        // so nothing here may grow faster than the dump.
        var trees = new List<MtreeTreeNode> { root };
        var added = new HashSet<MtreeTreeNode>(ReferenceEqualityComparer.Instance) { root };
        var placed = PlacedNames([root], except: null);
        var aliases = new Queue<MtreeTreeNode>(root.SelfAndDescendants().Where(n => n.IsAlias));
        while (aliases.TryDequeue(out var alias))
        {
            if (!placed.Contains(alias.AliasTarget!) && SectionOf(alias) is { Root: { } targetRoot } && added.Add(targetRoot))
            {
                trees.Add(targetRoot);
                foreach (var node in targetRoot.SelfAndDescendants())
                {
                    if (node.IsAlias)
                    {
                        aliases.Enqueue(node);
                    }
                    else if (Places(node))
                    {
                        placed.Add(node.Name);
                    }
                }
            }
        }

        // A section pulled in before the tree that places the same region was reached prints that region twice.
        var placing = new Dictionary<string, int>(StringComparer.Ordinal);
        var own = trees.Select(t => PlacedNames([t], except: null)).ToList();
        foreach (string name in own.SelectMany(names => names))
        {
            placing[name] = placing.GetValueOrDefault(name) + 1;
        }

        return [.. trees.Where((t, i) => t == root || placing.GetValueOrDefault(t.Name) - (own[i].Contains(t.Name) ? 1 : 0) == 0)];
    }

    // The memory-region section an alias reaches by name. Sections printed twice under one name are the same region
    // when they print the same tree (then either will do); otherwise the text cannot say which one the alias shows.
    private MtreeTreeSection? SectionOf(MtreeTreeNode alias)
    {
        if (!_regionSections.TryGetValue(alias.AliasTarget!, out var sections))
        {
            return null;
        }

        var first = sections[0];
        foreach (var other in sections.Skip(1))
        {
            if (!SameTree(first.Root, other.Root))
            {
                throw new MtreeFormatException(first.HeaderLine, other.HeaderLine,
                    $"alias \"{alias.Name}\" (line {alias.LineNumber}) targets \"{alias.AliasTarget}\", printed as two different \"{MtreeTreeParser.MemoryRegionHeader}{alias.AliasTarget}\" sections; the text cannot say which one the alias shows");
            }
        }

        return first;
    }

    private static bool SameTree(MtreeTreeNode? a, MtreeTreeNode? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Name == b.Name && a.Start == b.Start && a.Size == b.Size && a.Priority == b.Priority && a.KindWord == b.KindWord
                && a.Disabled == b.Disabled && a.NonVolatile == b.NonVolatile && a.AliasTarget == b.AliasTarget && a.AliasOffset == b.AliasOffset
                && a.Children.Count == b.Children.Count && a.Children.Zip(b.Children).All(p => SameTree(p.First, p.Second));

    private static HashSet<string> PlacedNames(List<MtreeTreeNode> trees, MtreeTreeNode? except) =>
        trees.Where(t => t != except).SelectMany(t => t.SelfAndDescendants()).Where(Places).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);

    // A printed region places its name, unless it is an alias or a disabled region QEMU did not print.
    private static bool Places(MtreeTreeNode n) => !n.IsAlias && !(n.Implied && n.Level > 1);

    private Dictionary<MtreeTreeNode, string> ResolveTargets(List<MtreeTreeNode> trees)
    {
        var nodes = trees.SelectMany(t => t.SelfAndDescendants()).ToList();
        var roots = new HashSet<MtreeTreeNode>(trees, ReferenceEqualityComparer.Instance);
        // Candidates: regions with content or children of that name, and a pulled-in section root (which may itself be an alias).
        var byName = nodes.Where(n => (!n.IsAlias || roots.Contains(n)) && !(n.Implied && n.Level > 1)).ToLookup(n => n.Name, StringComparer.Ordinal);
        var targets = new Dictionary<MtreeTreeNode, string>(ReferenceEqualityComparer.Instance);
        foreach (var alias in nodes.Where(n => n.IsAlias))
        {
            var candidates = byName[alias.AliasTarget!].ToList();
            if (candidates.Count == 0)
            {
                throw new MtreeFormatException(alias.LineNumber,
                    $"alias \"{alias.Name}\" targets \"{alias.AliasTarget}\", which is neither placed in this address space nor printed as \"{MtreeTreeParser.MemoryRegionHeader}{alias.AliasTarget}\"");
            }

            if (candidates.Count > 1)
            {
                throw new MtreeFormatException(candidates[0].LineNumber, alias.LineNumber,
                    $"alias \"{alias.Name}\" targets \"{alias.AliasTarget}\", but {candidates.Count} regions of that name are printed (lines {string.Join(", ", candidates.Select(c => c.LineNumber))}); the text cannot say which one the alias shows");
            }

            targets[alias] = _unique[candidates[0]];
        }

        return targets;
    }

    private string Name(MtreeTreeNode node, string printed)
    {
        string unique = printed;
        for (int suffix = 2; !_taken.Add(unique); suffix++)
        {
            unique = $"{printed}#{suffix}";
        }

        _unique[node] = unique;
        _printed[unique] = printed;
        return unique;
    }

    private RegionTree CreateRoot(MtreeTreeNode root)
    {
        if (!root.IsAlias)
        {
            return RegionTree.Create(Region(root, null));
        }

        // An address space rooted at an alias renders the alias as if placed at 0 of an empty whole space.
        var wrapper = MemoryRegion.Container(Name(new MtreeTreeNode
        {
            LineNumber = root.LineNumber,
            Level = 0,
            Name = RootWrapperName,
            Start = 0,
            Size = AddressSpace.End,
            KindWord = "i/o",
        }, RootWrapperName), AddressSpace.End);
        return RegionTree.Create(wrapper);
    }

    private RegionTree DefineAll(RegionTree tree, List<MtreeTreeNode> trees, MtreeTreeNode root, Dictionary<MtreeTreeNode, string> targets)
    {
        var nodes = trees.SelectMany(t => t.SelfAndDescendants()).Where(n => n != root || n.IsAlias).ToList();
        foreach (var node in nodes.Where(n => !n.IsAlias))
        {
            tree = tree.Define(Region(node, null));
        }

        // Aliases of aliases: define each once its target is defined, in one pass over who waits for whom (a chain
        // of n aliases listed backwards would otherwise take n rounds); what is never defined forms a cycle.
        var waiting = new Dictionary<string, List<MtreeTreeNode>>(StringComparer.Ordinal);
        var ready = new Queue<MtreeTreeNode>();
        var hops = new Dictionary<string, int>(StringComparer.Ordinal);
        int aliases = 0;
        foreach (var alias in nodes.Where(n => n.IsAlias))
        {
            aliases++;
            if (tree.Contains(targets[alias]))
            {
                ready.Enqueue(alias);
            }
            else
            {
                (waiting.TryGetValue(targets[alias], out var list) ? list : waiting[targets[alias]] = []).Add(alias);
            }
        }

        while (ready.TryDequeue(out var alias))
        {
            int depth = hops.GetValueOrDefault(targets[alias]) + 1;
            if (depth > RegionTree.MaxNesting)
            {
                throw new MtreeFormatException(alias.LineNumber, string.Create(CultureInfo.InvariantCulture,
                    $"alias \"{alias.Name}\" is the {depth}th in a chain of aliases; a region tree nests at most {RegionTree.MaxNesting} levels"));
            }

            tree = tree.Define(Region(alias, targets[alias]));
            hops[_unique[alias]] = depth;
            aliases--;
            if (waiting.Remove(_unique[alias], out var next))
            {
                next.ForEach(ready.Enqueue);
            }
        }

        if (aliases > 0)
        {
            var first = waiting.Values.SelectMany(w => w).MinBy(a => a.LineNumber)!;
            throw new MtreeFormatException(first.LineNumber, $"alias \"{first.Name}\" reaches itself through its targets");
        }

        return root.IsAlias ? tree.AddSubregion(tree.Root, _unique[root], root.Start, root.Priority) : tree;
    }

    private RegionTree PlaceChildren(RegionTree tree, MtreeTreeNode parent)
    {
        NoteUnorderedOverlaps(parent);
        for (int i = parent.Children.Count - 1; i >= 0; i--)
        {
            var child = parent.Children[i];
            // Printed starts are absolute; the wrap-around subtraction undoes QEMU's base + addr.
            tree = tree.AddSubregion(_unique[parent], _unique[child], unchecked(child.Start - parent.Start), child.Priority);
        }

        foreach (var child in parent.Children)
        {
            tree = PlaceChildren(tree, child);
        }

        return tree;
    }

    private MemoryRegion Region(MtreeTreeNode node, string? target)
    {
        string name = _unique[node];
        var region = target is not null
            // Old QEMU printed an alias's own R/W pair, so R- is the alias's read-only flag; today's text prints the
            // target's type and only a hint can say.
            ? MemoryRegion.Alias(name, target, node.AliasOffset, node.Size) with
            {
                ReadOnly = _hints.IsReadOnlyAlias(node.Name) || node.KindWord is "R-" or "--",
            }
            // rom says read-only RAM; a ROM device, ram-device or MMIO region's own read-only flag is not printed.
            : new MemoryRegion(name, KindOf(node), node.Size) { ReadOnly = node.KindWord is "rom" or "R-" or "--" || _hints.IsReadOnlyAlias(node.Name) };
        // The printed priority is the region's own (mr->priority): a placement sets it again, a memory-region: root
        // that is placed nowhere keeps the one its last placement left.
        return region with { Enabled = !node.Disabled, NonVolatile = node.NonVolatile, Priority = node.Priority };
    }

    /// <summary>
    /// The kind a non-alias line stands for. <c>rom</c> is read-only RAM; old QEMU's <c>R-</c>/<c>--</c> likewise and
    /// <c>-W</c> a ROM device out of ROM mode (which renders like MMIO); <c>i/o</c> and old QEMU's <c>RW</c> are a
    /// container or content of their own as <see cref="MtreeTreeHints.IsTerminalIo"/> says, and an <c>RW</c> leaf
    /// is RAM or MMIO as <see cref="AssumeRwLeaf"/> assumes.
    /// </summary>
    private RegionKind KindOf(MtreeTreeNode node) => node.KindWord switch
    {
        _ when node.Implied => RegionKind.Container,
        "ram" => RegionKind.Ram,
        "rom" or "R-" or "--" => RegionKind.Rom,
        "romd" => RegionKind.RomDevice,
        "ramd" => RegionKind.RamDevice,
        "-W" => RegionKind.Io,
        "RW" when node.Children.Count == 0 => AssumeRwLeaf(node),
        _ => _hints.IsTerminalIo(node.Name, node.Children.Count > 0) ? RegionKind.Io : RegionKind.Container,
    };

    /// <summary>
    /// Siblings of one priority that overlap at different addresses (two BARs programmed onto each other): QEMU renders
    /// the one placed last first, and the listing, printed by address, does not say which that was. They are read as
    /// placed in reverse printed order (the lower address renders first), and the guess is written down in
    /// <see cref="MtreeTreeSpace.Assumptions"/>. One sweep in printed order, keeping per priority the sibling that
    /// reaches furthest.
    /// </summary>
    private void NoteUnorderedOverlaps(MtreeTreeNode parent)
    {
        var reach = new Dictionary<int, (MtreeTreeNode Node, UInt128 End)>();
        foreach (var child in parent.Children.Where(c => !c.Disabled))
        {
            UInt128 end = child.Start + child.Size;
            if (reach.TryGetValue(child.Priority, out var before) && child.Start < before.End && child.Start != before.Node.Start)
            {
                _assumptions.Add(string.Create(CultureInfo.InvariantCulture,
                    $"line {child.LineNumber}: \"{child.Name}\" overlaps \"{before.Node.Name}\" (line {before.Node.LineNumber}) at the same priority ({child.Priority}) and another address; QEMU renders the one placed last first, which the listing does not say; read as \"{before.Node.Name}\" placed last"));
            }

            if (!reach.TryGetValue(child.Priority, out before) || end > before.End)
            {
                reach[child.Priority] = (child, end);
            }
        }
    }

    /// <summary>
    /// Old QEMU's <c>RW</c> cannot tell RAM from MMIO: <c>pc.ram</c> and an ioapic both print it. Reading MMIO as RAM
    /// makes it DMA-mappable, reading RAM as MMIO hides it from vfio; both are wrong numbers, so the choice goes by
    /// the names QEMU gives RAM blocks (<c>*ram*</c>, <c>*rom*</c>, <c>*bios*</c>, <c>*flash*</c>) or a hint, and is
    /// written down in <see cref="MtreeTreeSpace.Assumptions"/>.
    /// </summary>
    private RegionKind AssumeRwLeaf(MtreeTreeNode node)
    {
        bool ram = MtreeTreeHints.Matches(_hints.TerminalIo, node.Name) ? false
            : node.Name.Contains("ram", StringComparison.OrdinalIgnoreCase) || node.Name.Contains("rom", StringComparison.OrdinalIgnoreCase)
              || node.Name.Contains("bios", StringComparison.OrdinalIgnoreCase) || node.Name.Contains("flash", StringComparison.OrdinalIgnoreCase);
        _assumptions.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"line {node.LineNumber}: \"{node.Name}\" prints old QEMU's RW without subregions, which is RAM or MMIO; read as {(ram ? "RAM (its name is a RAM block's)" : "MMIO (i/o)")}"));
        return ram ? RegionKind.Ram : RegionKind.Io;
    }
}
