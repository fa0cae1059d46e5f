using Verify.Harness.Scenarios;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;
using Verify.Oracle.MemoryMap;

namespace Verify.Harness.Checks.MemoryMap;

/// <summary>
/// FV-07 (docs/semantics.md 2.2): after every commit the model's tree, written as QEMU's <c>info mtree -D</c> prints it
/// (<see cref="MtreeTreeText.Write"/>) and read back with the hints the text cannot carry, renders what the oracle paints
/// on its own tree, in everything the text carries: region, offset, read-only, non-volatile, priority, and whether the
/// page is RAM, ROM device in ROM mode or MMIO. Unmergeable and dirty logging are not printed by QEMU; an IOMMU region
/// and a ROM device out of ROM mode print as <c>i/o</c> and read back as MMIO. Where overlapping siblings of equal
/// priority sit at different addresses the text prints them by address and cannot say which renders first: such a
/// tree is labelled and not compared.
/// </summary>
public sealed class TreeTextRoundTrips() : ScenarioCheck("FV-07")
{
    /// <summary>The label of a tree the text cannot carry.</summary>
    public const string OrderNotInText = "sibling order not in the text";

    /// <summary>The label of a compared tree.</summary>
    public const string Compared = "tree text read back and compared";

    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Step is not CommitStep || context.Machine.LastTransaction is not { } t
            || context.Machine.MemoryMap.OracleTree is not { } oracle || context.Machine.MemoryMap.Tree is not { } tree)
        {
            return;
        }

        if (AmbiguousOrder(oracle))
        {
            context.Label(OrderNotInText);
            return;
        }

        string text = MtreeTreeText.Write(tree, "memory");
        MtreeTreeSpace space;
        try
        {
            space = MtreeTreeText.Read(text, MtreeTreeText.HintsFor(tree)).Spaces.Single();
        }
        catch (MtreeFormatException error)
        {
            context.Expect(false, () => $"transaction {t.Number}: the written tree does not read back: {error.Message}\n{text}");
            return;
        }

        var readBack = space.ToPrinted(space.Tree.RenderUnsimplified());
        var points = Probes.AddEdges(new SortedSet<ulong>(), readBack, t.Unsimplified);
        foreach (ulong b in RegionTreePainter.Boundaries(oracle))
        {
            Probes.Add(points, b);
        }

        foreach (ulong a in points)
        {
            var expected = Carried(RegionTreePainter.Resolve(oracle, a));
            var shown = Carried(FlatViewOracle.Lookup(readBack.Ranges, a));
            if (!context.Expect(shown == expected,
                    () => $"transaction {t.Number}: address 0x{a:x}: the tree written as text and read back shows {Probes.Show(shown)}, the oracle paints {Probes.Show(expected)}\n{text}"))
            {
                break;
            }
        }

        context.Label(Compared);
        context.Label(oracle.Regions.Any(r => r.Kind == RegionKind.Alias), "alias section");
        context.Label(oracle.Regions.Any(r => !r.Enabled), "disabled region printed");
    }

    // Two enabled, overlapping siblings of one priority at different addresses: QEMU prints them by address.
    private static bool AmbiguousOrder(PlainRegionTree oracle) =>
        oracle.Placements.Where(p => oracle[p.Child].Enabled).GroupBy(p => (p.Parent, p.Priority)).Any(g =>
        {
            var list = g.ToList();
            for (int i = 0; i < list.Count; i++)
            {
                for (int j = i + 1; j < list.Count; j++)
                {
                    var (a, b) = (list[i], list[j]);
                    if (a.Address != b.Address && a.Address < (UInt128)b.Address + oracle[b.Child].Size && b.Address < (UInt128)a.Address + oracle[a.Child].Size)
                    {
                        return true;
                    }
                }
            }

            return false;
        });

    // What the text carries of a page; a ROM device out of ROM mode and an IOMMU region print as i/o.
    private static PaintedPage? Carried(PaintedPage? page) => page switch
    {
        null => null,
        { Kind: RegionKind.RomDevice, RomdMode: false } or { Kind: RegionKind.Iommu } => page with { Kind = RegionKind.Io, RomdMode = true, Unmergeable = false, DirtyLogMask = 0 },
        _ => page with { Unmergeable = false, DirtyLogMask = 0 },
    };
}
