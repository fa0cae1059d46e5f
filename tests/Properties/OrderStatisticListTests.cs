using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.IommuModel.Host;

namespace Verify.Properties;

/// <summary>
/// <see cref="OrderStatisticList{T}"/> (the type1 mappings' and the host pin runs' storage) against
/// <see cref="List{T}"/>: generated scripts of inserts, range inserts, range removals, range replacements, writes and clears, shrunk to
/// the shortest failing script, checked after every step for contents, indexing, <c>EnumerateFrom</c> and the
/// monotone descent <c>FirstIndexWhere</c>.
/// </summary>
public class OrderStatisticListTests
{
    [Fact]
    public void Script_EveryStep_AgreesWithList()
    {
        var scripts = Arb.From(ListScript.Generator, s => s.Shrink());
        var config = Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(80);
        Check.One(config, Prop.ForAll(scripts, script => script.Replay()));
    }

    [Fact]
    public void Indexing_OutsideTheList_Throws()
    {
        var list = new OrderStatisticList<int>();
        list.InsertRange(0, [1, 2, 3]);

        Assert.Throws<ArgumentOutOfRangeException>(() => list[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Insert(4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => list.RemoveRange(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => list.EnumerateFrom(4));
        Assert.Equal([1, 2, 3], list);
    }

    [Fact]
    public void Enumerating_WhileTheListChanges_Throws()
    {
        var list = new OrderStatisticList<int>();
        list.InsertRange(0, [1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (int item in list)
            {
                list.Insert(0, item);
            }
        });
    }
}

/// <summary>One step of a <see cref="ListScript"/>. Indices are taken modulo what the list allows when the step
/// runs, so every shrunk script is still valid.</summary>
/// <param name="Kind">What the step does.</param>
/// <param name="Index">Where (before the modulo).</param>
/// <param name="Count">How many items to insert or remove (before the modulo for removals).</param>
public sealed record ListStep(ListStepKind Kind, int Index, int Count)
{
    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        ListStepKind.Insert => $"insert 1 at ~{Index}",
        ListStepKind.InsertRange => $"insert {Count} at ~{Index}",
        ListStepKind.RemoveRange => $"remove ~{Count} at ~{Index}",
        ListStepKind.ReplaceRange => $"replace ~{Count} at ~{Index} by {Count / 2 + 1}",
        ListStepKind.Set => $"set ~{Index}",
        _ => "clear",
    };
}

/// <summary>The kinds of <see cref="ListStep"/>.</summary>
public enum ListStepKind
{
    /// <summary><c>Insert</c>.</summary>
    Insert,

    /// <summary><c>InsertRange</c>.</summary>
    InsertRange,

    /// <summary><c>RemoveRange</c> (and <c>RemoveAt</c> for a count of 1).</summary>
    RemoveRange,

    /// <summary><c>ReplaceRange</c>, putting <c>Count / 2 + 1</c> items where up to <c>Count</c> were.</summary>
    ReplaceRange,

    /// <summary>The indexer's setter.</summary>
    Set,

    /// <summary><c>Clear</c>.</summary>
    Clear,
}

/// <summary>A script of steps run against both lists.</summary>
/// <param name="Steps">The steps, in order.</param>
public sealed record ListScript(ImmutableArray<ListStep> Steps)
{
    /// <summary>Scripts that mostly grow the list, so removals and descents meet deep trees.</summary>
    public static Gen<ListScript> Generator { get; } =
        from steps in Gen.ListOf(Step())
        select new ListScript([.. steps]);

    private static Gen<ListStep> Step() => Gen.Frequency(
        (5, from i in Gen.Choose(0, 1000) select new ListStep(ListStepKind.Insert, i, 1)),
        (3, from i in Gen.Choose(0, 1000) from n in Gen.Choose(0, 12) select new ListStep(ListStepKind.InsertRange, i, n)),
        (3, from i in Gen.Choose(0, 1000) from n in Gen.Choose(0, 8) select new ListStep(ListStepKind.RemoveRange, i, n)),
        (2, from i in Gen.Choose(0, 1000) from n in Gen.Choose(0, 8) select new ListStep(ListStepKind.ReplaceRange, i, n)),
        (2, from i in Gen.Choose(0, 1000) select new ListStep(ListStepKind.Set, i, 1)),
        (1, Gen.Constant(new ListStep(ListStepKind.Clear, 0, 0))));

    /// <summary>Runs the script on an <see cref="OrderStatisticList{T}"/> and a <see cref="List{T}"/>, comparing
    /// them after every step.</summary>
    /// <returns>True; a disagreement throws, naming the step.</returns>
    public bool Replay()
    {
        var model = new OrderStatisticList<int>();
        var reference = new List<int>();
        int fresh = 0;
        int[] Fresh(int count)
        {
            int[] items = [.. Enumerable.Range(fresh, count)];
            fresh += count;
            return items;
        }

        for (int s = 0; s < Steps.Length; s++)
        {
            var step = Steps[s];

            // Where the step acts and how many items it may remove from there, in the list as it is now.
            int at = step.Index % (reference.Count + 1);
            int removable = step.Count % (reference.Count - at + 1);
            switch (step.Kind)
            {
                case ListStepKind.Insert:
                    model.Insert(at, fresh);
                    reference.Insert(at, fresh++);
                    break;

                case ListStepKind.InsertRange:
                    int[] inserted = Fresh(step.Count);
                    model.InsertRange(at, inserted);
                    reference.InsertRange(at, inserted);
                    break;

                case ListStepKind.RemoveRange:
                    model.RemoveRange(at, removable);
                    reference.RemoveRange(at, removable);
                    break;

                case ListStepKind.ReplaceRange:
                    int[] items = Fresh((step.Count / 2) + 1);
                    model.ReplaceRange(at, removable, items);
                    reference.RemoveRange(at, removable);
                    reference.InsertRange(at, items);
                    break;

                case ListStepKind.Set when reference.Count > 0:
                    model[at % reference.Count] = fresh;
                    reference[at % reference.Count] = fresh++;
                    break;

                case ListStepKind.Clear:
                    model.Clear();
                    reference.Clear();
                    break;
            }

            Compare(model, reference, $"after step {s + 1} ({step})");
        }

        return true;
    }

    /// <summary>Shorter scripts first (halves, then one step less), then each step made simpler.</summary>
    /// <returns>The candidates.</returns>
    public IEnumerable<ListScript> Shrink()
    {
        if (Steps.Length > 1)
        {
            yield return this with { Steps = Steps[..(Steps.Length / 2)] };
            yield return this with { Steps = Steps[(Steps.Length / 2)..] };
        }

        for (int s = 0; s < Steps.Length; s++)
        {
            yield return this with { Steps = Steps.RemoveAt(s) };
        }

        for (int s = 0; s < Steps.Length; s++)
        {
            var step = Steps[s];
            if (step.Index > 0)
            {
                yield return this with { Steps = Steps.SetItem(s, step with { Index = step.Index / 2 }) };
            }

            if (step.Count > 1)
            {
                yield return this with { Steps = Steps.SetItem(s, step with { Count = step.Count - 1 }) };
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join("; ", Steps);

    private static void Compare(OrderStatisticList<int> model, List<int> reference, string where)
    {
        Check(model.Count == reference.Count, where, $"count {model.Count}, list has {reference.Count}");
        Check(model.SequenceEqual(reference), where, $"[{string.Join(", ", model)}], list has [{string.Join(", ", reference)}]");
        var position = new Dictionary<int, int>();
        for (int i = 0; i < reference.Count; i++)
        {
            Check(model[i] == reference[i], where, $"item {i} reads {model[i]}, list has {reference[i]}");
            position[reference[i]] = i;
        }

        for (int from = 0; from <= reference.Count; from++)
        {
            Check(model.EnumerateFrom(from).SequenceEqual(reference.Skip(from)), where, $"EnumerateFrom({from}) differs");

            // Items are distinct, so "stands at or after index from in the list" is a monotone predicate over the
            // model's order exactly when the two orders agree.
            int found = model.FirstIndexWhere(from, (item, t) => position[item] >= t);
            Check(found == from, where, $"FirstIndexWhere(position >= {from}) gave {found}");
        }
    }

    private static void Check(bool holds, string where, string what)
    {
        if (!holds)
        {
            throw new InvalidOperationException($"{where}: {what}");
        }
    }
}
