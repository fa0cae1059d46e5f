using System.Globalization;
using Verify.Harness.Scenarios;
using Verify.IommuModel.PageTables;

namespace Verify.Harness.Generators.PageTables;

/// <summary>The scenario form of a page-table case: one table per variant the case runs, then its operations on
/// that table, with the device accesses the properties make and the closing sync and queue flush PT-05 adds.</summary>
public sealed partial record PageTableCase
{
    /// <summary>The most leaves a device touch reaches.</summary>
    private const int TouchedLeaves = 256;

    /// <summary>
    /// Per variant: a <c>page-table</c> step named after the variant (<c>t-split</c>, <c>t-refuse</c>, with the
    /// invalidation mode appended when the case runs several), then its operations on that table. With
    /// <paramref name="warmIotlb"/> (PT-05) the device first touches every leaf (a <c>pt-touch</c> step) before each map
    /// and unmap, and the table ends with a <c>pt-sync</c> if unmaps wait in
    /// the gather and a <c>pt-flush</c> on a lazy table unless it ends flushed, because PT-05 judges the IOTLB after
    /// both. Nothing the model answered is recorded.
    /// </summary>
    /// <param name="warmIotlb">Whether to add the device's accesses and the closing sync and flush.</param>
    /// <returns>The steps.</returns>
    public IReadOnlyList<ScenarioStep> ToScenarioSteps(bool warmIotlb)
    {
        var steps = new List<ScenarioStep>();
        foreach (var variant in Variants)
        {
            string table = TableName(variant);
            steps.Add(new Scenarios.PageTableStep(table, variant));
            bool unsynced = false, flushed = false;
            foreach (var op in Ops)
            {
                switch (op)
                {
                    case MapOp m:
                        flushed = false;
                        steps.AddRange(warmIotlb ? [new PageTableTouchStep(table, TouchedLeaves)] : []);
                        steps.Add(new PageTableMapStep(table, m.Iova, m.Pa, m.Size, m.Protection));
                        break;
                    case UnmapOp u:
                        steps.AddRange(warmIotlb ? [new PageTableTouchStep(table, TouchedLeaves)] : []);
                        steps.Add(new PageTableUnmapStep(table, u.Iova, u.Size));
                        unsynced = true;
                        flushed = false;
                        break;
                    case SyncOp:
                        steps.Add(new PageTableSyncStep(table));
                        unsynced = flushed = false;
                        break;
                    default:
                        steps.Add(new PageTableFlushStep(table));
                        flushed = !unsynced;
                        break;
                }
            }

            if (unsynced && warmIotlb)
            {
                steps.Add(new PageTableSyncStep(table) { Note = "PT-05's closing sync" });
            }

            if (variant.Flush == FlushMode.Lazy && !flushed && warmIotlb)
            {
                steps.Add(new PageTableFlushStep(table) { Note = "PT-05's closing queue flush" });
            }
        }

        return steps;
    }

    private ulong Granule => Options.Format.Granule;

    private string TableName(PageTableOptions variant)
    {
        string split = ScenarioVocabulary.SplitPolicies.First(n => n.Value == variant.Split).Key;
        return Modes.Length == 1
            ? $"t-{split}"
            : $"t-{split}-{ScenarioVocabulary.InvalidationModes.First(n => n.Value == variant.Invalidation).Key}";
    }
}
