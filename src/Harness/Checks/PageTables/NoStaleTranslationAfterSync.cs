using Verify.Harness.Hosts;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Checks.PageTables;

/// <summary>
/// PT-05 (docs/semantics.md 4.5): once an unmap is synced (strict: the sync with nothing left in the gather; lazy: the queue
/// flush) no IOTLB entry translates a page differently from the oracle, the over-unmapped tail of a large leaf
/// included; what a device gets on a hit (the cached page plus the offset in it, probed at both ends of the page) is the
/// oracle's; and no cached walk points at a table page that is no longer linked there.
/// </summary>
public sealed class NoStaleTranslationAfterSync() : ScenarioCheck("PT-05")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Machine.PageTables.Step is not { Kind: PageTableOperationKind.Sync or PageTableOperationKind.Flush } op || op.Table.Oracle is not { } oracle)
        {
            return;
        }

        var t = op.Table;
        if (t.User is { } user)
        {
            UserTableIsFresh(context, t, user, oracle);
            return;
        }

        var table = t.Table!;
        bool lazy = t.Options.Flush == FlushMode.Lazy;
        bool promised = t.Pending.IsEmpty && (op.Kind == PageTableOperationKind.Flush || !lazy);
        if (!promised)
        {
            context.Label(lazy && table.Iotlb.CachedLeaves.Any(e => oracle.Translate(e.Iova) != new Translation(e.Pa, e.Protection)), "lazy: stale until the queue flush");
            return;
        }

        string when = $"{t.Name} after the {(op.Kind == PageTableOperationKind.Sync ? "sync" : "queue flush")} under {t.Variant}";
        foreach (var entry in table.Iotlb.CachedLeaves.OrderBy(e => e.Iova).ToList())
        {
            var want = oracle.Translate(entry.Iova);
            context.Expect(want == new Translation(entry.Pa, entry.Protection),
                () => $"{when}: the IOTLB still translates iova 0x{entry.Iova:x} to 0x{entry.Pa:x} {PageTableText.Of(entry.Protection)} "
                    + $"(cached from a {PageTableText.Size(entry.LeafSize)} leaf) but the page {(want is null ? "is unmapped" : $"maps to {want}")}");
        }

        // What a device actually gets on a hit, at both ends of the page: the entries can be right while the lookup
        // that serves them is not.
        ulong granule = t.Options.Format.Granule;
        foreach (var entry in table.Iotlb.CachedLeaves.OrderBy(e => e.Iova).ToList())
        {
            foreach (ulong offset in new[] { 0UL, granule - 1 })
            {
                var got = table.Iotlb.Access(entry.Iova + offset);
                var want = oracle.Translate(entry.Iova) is { } page ? new Translation(page.Pa + offset, page.Protection) : (Translation?)null;
                context.Expect(got == want,
                    () => $"{when}: a device access at iova 0x{entry.Iova + offset:x} gets {got?.ToString() ?? "a fault"} from the IOTLB, but the page {(want is null ? "is unmapped" : $"maps it to {want}")}");
            }
        }

        foreach (var walk in table.Iotlb.CachedWalks.OrderBy(w => w.Iova).ToList())
        {
            int linked = table.TablePageAt(walk.Level, walk.Iova);
            context.Expect(linked == walk.TablePage,
                () => $"{when}: the walk cache still points level {walk.Level} at iova 0x{walk.Iova:x} to table page {walk.TablePage}, but {(linked < 0 ? "no table is linked there" : $"table page {linked} is")}");
        }

        context.Label(table.Iotlb.CachedLeaves.Any(), "IOTLB warm after a sync");
    }

    // A user's table behind the harness's IOTLB: once the gather is synced, every cached page must still translate as
    // the oracle says, at both ends of the page; a gather that missed part of what an unmap removed leaves it stale.
    private static void UserTableIsFresh(CheckContext context, TableState t, Hosts.UserDomain user, Verify.Oracle.PageTables.PageTableOracle oracle)
    {
        if (t.HasPendingGather)
        {
            return;
        }

        ulong granule = t.Options.Format.Granule;
        foreach (var (page, cached) in user.CachedPages.ToList())
        {
            var want = oracle.Translate(page);
            context.Expect(want == cached,
                () => $"{t.Name} after the sync: the IOTLB still translates iova 0x{page:x} to 0x{cached.Pa:x} {PageTableText.Of(cached.Protection)} "
                    + $"but the page {(want is null ? "is unmapped" : $"maps to {want}")}: the driver's gather missed it");
            foreach (ulong offset in new[] { 0UL, granule - 1 })
            {
                var got = user.Access(page + offset);
                var expected = want is { } w ? new Translation(w.Pa + offset, w.Protection) : (Translation?)null;
                context.Expect(got == expected,
                    () => $"{t.Name} after the sync: a device access at iova 0x{page + offset:x} gets {got?.ToString() ?? "a fault"}, but the page {(expected is null ? "is unmapped" : $"maps it to {expected}")}");
            }
        }

        context.Label(user.CachedPages.Count > 0, "IOTLB warm after a sync");
    }
}
