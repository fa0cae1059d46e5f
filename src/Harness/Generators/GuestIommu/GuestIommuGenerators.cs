using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;

namespace Verify.Harness.Generators.GuestIommu;

/// <summary>
/// Generators for the guest IOMMU properties, aimed at docs/semantics.md 7's edges: guest mappings that fill VT-d 2 MiB
/// leaves (and unmaps that cut into them), the last pages below the 48-bit address width, the pages just below the
/// interrupt window's surroundings, guest physical targets that are not RAM (vfio refuses them), and unmaps that split a
/// virtio-iommu interval. Guest physical targets otherwise lie in the pc machine's low RAM above 1 MiB, which no case
/// changes.
/// </summary>
public static class GuestIommuGenerators
{
    /// <summary>Guest RAM of the machine the replay cases run on.</summary>
    public const ulong ReplayRamMiB = 256;

    private const ulong TopPage = (1UL << 48) / 0x1000;
    private const ulong RamFirstPage = 0x100;
    private const ulong RamEndPage = (ReplayRamMiB << 20) / 0x1000;

    /// <summary>One guest map request: mostly a few pages anywhere, sometimes a run that straddles 2 MiB boundaries with
    /// IOVA and guest physical address congruent, so VT-d makes 4 KiB leaves, 2 MiB leaves, then 4 KiB leaves.</summary>
    public static Gen<GuestRequest> MapRequest { get; } = Gen.Frequency(
        (4, SmallMap),
        (1, SuperpageMap));

    private static Gen<GuestRequest> SmallMap =>
        from pages in Gen.Frequency(
            (3, Gen.Choose(1, 8).Select(p => (ulong)p)),
            (1, Gen.Choose(1, 64).Select(p => (ulong)p)))
        from iova in Gen.Frequency(
            (5, Gen.Choose(0, 4095).Select(p => (ulong)p)),
            (1, Gen.Choose(1, 64).Select(k => TopPage - (ulong)k - pages)),
            (1, Gen.Choose(0, 16).Select(k => 0xfd000UL - (ulong)k - pages)))
        from gpa in Gen.Frequency(
            (6, Gen.Choose((int)RamFirstPage, (int)(RamEndPage - pages)).Select(p => (ulong)p)),
            (1, Gen.Elements(0xe0000UL, 0xfd000UL, RamEndPage - 1)))
        from writable in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        select new GuestRequest(false, iova, pages, gpa, writable);

    private static Gen<GuestRequest> SuperpageMap =>
        from superpages in Gen.Choose(1, 2)
        from before in Gen.Choose(0, 3)
        from after in Gen.Choose(0, 3)
        from block in Gen.Choose(1, 7)
        from gpaBlock in Gen.Choose(1, (int)(RamEndPage / 512) - 3)
        from writable in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        select new GuestRequest(false, ((ulong)block * 512) - (ulong)before, ((ulong)superpages * 512) + (ulong)before + (ulong)after,
            ((ulong)gpaBlock * 512) - (ulong)before, writable);

    /// <summary>Guest requests: maps, and unmaps aimed at what was mapped (whole, first page, a middle page) or anywhere.</summary>
    /// <param name="max">Most requests.</param>
    /// <returns>The generator.</returns>
    public static Gen<ImmutableArray<GuestRequest>> Requests(int max) =>
        from count in Gen.Choose(0, max)
        from list in Build(count, [])
        select list;

    /// <summary>An unmap aimed at an earlier map: all of it, its first page, or a page in its middle (which cuts into a
    /// VT-d 2 MiB leaf or splits a virtio-iommu interval).</summary>
    /// <param name="map">The earlier map.</param>
    /// <returns>The generator.</returns>
    public static Gen<GuestRequest> UnmapAimedAt(GuestRequest map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Gen.Elements(
            map with { Unmap = true },
            map with { Unmap = true, Pages = 1 },
            map with { Unmap = true, IovaPage = map.IovaPage + (map.Pages / 2), Pages = 1 });
    }

    /// <summary>VI-02 cases.</summary>
    /// <returns>The arbitrary with its shrinker.</returns>
    public static Arbitrary<ReplayCase> ReplayCases() => Arb.From(
        from kind in Gen.Frequency((3, Gen.Constant(GuestIommuKind.VtD)), (1, Gen.Constant(GuestIommuKind.VirtioIommu)))
        from earlier in Gen.Choose(0, 2)
        from requests in Requests(8)
        from other in Requests(2)
        from route in Gen.Elements(Enum.GetValues<JoinRoute>())
        from style in Gen.Elements(Enum.GetValues<RemappingSwitch>())
        select new ReplayCase(kind, earlier, requests, route == JoinRoute.SwitchDomain ? other : [], route, style),
        ShrinkReplay);

    /// <summary>VI-04 cases.</summary>
    /// <returns>The arbitrary with its shrinker.</returns>
    public static Arbitrary<AccountingCase> AccountingCases() => Arb.From(
        from machine in Gen.Elements("pc", "q35", "virt")
        from ram in Gen.Elements(64UL, 128UL, 256UL, 2048UL, 3072UL)
        from devices in Gen.Choose(1, 4)
        from passthrough in Gen.Elements(true, false)
        from accounting in Gen.Elements(AccountingMode.PerMapping, AccountingMode.Shared)
        select new AccountingCase(machine, ram, devices, passthrough, accounting),
        ShrinkAccounting);

    /// <summary>Shrinks a replay case: drop requests, simplify them, fewer earlier devices, the plainest route.</summary>
    /// <param name="c">A failing case.</param>
    /// <returns>Candidates.</returns>
    public static IEnumerable<ReplayCase> ShrinkReplay(ReplayCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        for (int i = c.Requests.Length - 1; i >= 0; i--)
        {
            yield return c with { Requests = c.Requests.RemoveAt(i) };
        }

        for (int i = c.OtherDomain.Length - 1; i >= 0; i--)
        {
            yield return c with { OtherDomain = c.OtherDomain.RemoveAt(i) };
        }

        if (c.Earlier > 0)
        {
            yield return c with { Earlier = c.Earlier - 1 };
        }

        if (c.Route != JoinRoute.Hotplug)
        {
            yield return c with { Route = JoinRoute.Hotplug, OtherDomain = [] };
        }

        if (c.Switch != RemappingSwitch.TwoTransactions)
        {
            yield return c with { Switch = RemappingSwitch.TwoTransactions };
        }

        for (int i = 0; i < c.Requests.Length; i++)
        {
            foreach (var r in c.Requests[i].Shrink())
            {
                yield return c with { Requests = c.Requests.SetItem(i, r) };
            }
        }
    }

    /// <summary>Shrinks an accounting case: fewer devices, less RAM, the pc machine.</summary>
    /// <param name="c">A failing case.</param>
    /// <returns>Candidates.</returns>
    public static IEnumerable<AccountingCase> ShrinkAccounting(AccountingCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Devices > 1)
        {
            yield return c with { Devices = 1 };
            yield return c with { Devices = c.Devices - 1 };
        }

        if (c.RamMiB > 64)
        {
            yield return c with { RamMiB = 64 };
        }

        if (c.Machine != "pc")
        {
            yield return c with { Machine = "pc" };
        }
    }

    private static Gen<ImmutableArray<GuestRequest>> Build(int left, ImmutableArray<GuestRequest> sofar)
    {
        if (left == 0)
        {
            return Gen.Constant(sofar);
        }

        var maps = sofar.Where(r => !r.Unmap).ToArray();
        var next = maps.Length == 0
            ? MapRequest
            : Gen.Frequency(
                (5, MapRequest),
                (2, Gen.Elements(maps).SelectMany(UnmapAimedAt)),
                (1, MapRequest.Select(m => m with { Unmap = true })));
        return next.SelectMany(r => Build(left - 1, sofar.Add(r)));
    }
}
