using Verify.ApiSnapshot;

namespace Verify.Architecture;

// Two public types with one simple name (a scenario's ContainerStep and a generator's ContainerStep) make every
// reader of a stack trace, a doc link or a `using` guess which is meant.
public class TypeNameTests
{
    [Fact]
    public void No_two_public_types_of_the_libraries_and_the_harness_share_a_name()
    {
        var assemblies = PublicApi.Libraries.Append(typeof(Verify.Harness.Core.Verdict).Assembly)
            .Append(typeof(Verify.Oracle.MemoryMap.RegionTreePainter).Assembly);
        // Nested cases of a union (TreeEdit.Move, TreeOperation.Move) are always written with their parent's name, and
        // a generic type beside its non-generic base (StepCodec, StepCodec<T>) is the .NET idiom, so neither counts.
        var clashes = assemblies.SelectMany(a => a.GetExportedTypes())
            .Where(t => !t.IsNested)
            .GroupBy(t => t.Name)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => t.FullName))}")
            .ToList();
        Assert.True(clashes.Count == 0, "Public types sharing a name:\n" + string.Join("\n", clashes));
    }
}
