using System.Globalization;
using Verify.Harness.Scenarios;
using Verify.IommuModel.PageTables;
using Verify.Oracle.PageTables;

namespace Verify.Harness.Generators.PageTables;

/// <summary>The scenario form of a page-table case: one table per variant the case runs, then its operations on
/// that table, with the device accesses the properties make and the closing sync and queue flush PT-05 adds.</summary>
public sealed partial record PageTableCase : IScenarioCase
{
    /// <summary>The most leaves a device touch reaches, as <see cref="PageTableRig.TouchEveryLeaf"/> does.</summary>
    private const int TouchedLeaves = 256;

    /// <summary>
    /// Per variant: a <c>page-table</c> step named after the variant (<c>t-split</c>, <c>t-refuse</c>, with the
    /// invalidation mode appended when the case runs several), before every map and unmap the device accesses
    /// PT-05 makes (first, middle and last smallest page of every leaf the definition holds then), the operation,
    /// and at the end a <c>pt-sync</c> if unmaps wait in the gather and a <c>pt-flush</c> on a lazy table unless it
    /// ends flushed, because PT-05 checks the IOTLB after both. The accesses are derived from the oracle, and nothing
    /// the model answered is recorded: the runner's invariants catch a broken model again. A deliberate
    /// <see cref="PageTableOptions.FlushBug"/> is left out of the table (the format has no field for it); a note
    /// says it was there, and <see cref="ScenarioRunOptions.PageTables"/> puts it back for a replay.
    /// </summary>
    /// <returns>The steps.</returns>
    public IReadOnlyList<ScenarioStep> ToScenarioSteps()
    {
        var steps = new List<ScenarioStep>();
        foreach (var variant in Variants)
        {
            string table = TableName(variant);
            steps.Add(new Scenarios.PageTableStep(table, variant with { FlushBug = IotlbFlushBug.None })
            {
                Note = variant.FlushBug == IotlbFlushBug.None ? null : $"generated with the deliberate bug {variant.FlushBug}, not recorded",
            });
            var oracle = new PageTableOracle(variant);
            bool unsynced = false, flushed = false;
            foreach (var op in Ops)
            {
                switch (op)
                {
                    case MapOp m:
                        flushed = false;
                        steps.AddRange(Touch(table, oracle));
                        oracle.Map(m.Iova, m.Pa, m.Size, m.Protection);
                        steps.Add(new PageTableMapStep(table, m.Iova, m.Pa, m.Size, m.Protection));
                        break;
                    case UnmapOp u:
                        steps.AddRange(Touch(table, oracle));
                        oracle.Unmap(u.Iova, u.Size);
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

            if (unsynced)
            {
                steps.Add(new PageTableSyncStep(table) { Note = "PT-05's closing sync" });
            }

            if (variant.Flush == FlushMode.Lazy && !flushed)
            {
                steps.Add(new PageTableFlushStep(table) { Note = "PT-05's closing queue flush" });
            }
        }

        return steps;
    }

    private ulong Granule => Options.Format.Granule;

    private string TableName(PageTableOptions variant)
    {
        string split = ScenarioReader.SplitPolicies.First(n => n.Value == variant.Split).Key;
        return Modes.Length == 1
            ? $"t-{split}"
            : $"t-{split}-{ScenarioReader.InvalidationModes.First(n => n.Value == variant.Invalidation).Key}";
    }

    // The device touches the definition's leaves as TouchEveryLeaf does; a small leaf's three pages are one.
    private IEnumerable<ScenarioStep> Touch(string table, PageTableOracle oracle)
    {
        return oracle.Leaves.Take(TouchedLeaves)
            .SelectMany(leaf => new[] { leaf.Iova, leaf.Iova + (leaf.Size / 2 / Granule * Granule), leaf.End - Granule }.Distinct())
            .Select(iova => new PageTableAccessStep(table, iova));
    }
}
