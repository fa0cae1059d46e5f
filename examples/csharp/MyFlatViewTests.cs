using Verify.Harness.Implementations;
using Verify.Harness.Running;
using Xunit.Abstractions;

namespace MyFlatView;

/// <summary>Every catalogued property that judges a memory map, against <see cref="MyFlatView"/>: one test per property,
/// the same generators, shrinking and scenario form as DmaVerify's own suites. Set VERIFY_MAX_TEST for a longer run,
/// VERIFY_SAVE=1 to save shrunk failures under Regressions/.</summary>
public class MyFlatViewTests(ITestOutputHelper output)
{
    private static readonly ImplementationUnderTest Mine =
        ImplementationUnderTest.Named("MyFlatView").WithMemoryMap(MyFlatView.Simplify, MyFlatView.Diff, MyFlatView.Replay);

    public static TheoryData<string> Properties => [.. PropertyCatalogue.Judging(ImplementationInterfaces.FlatView).Select(p => p.Id)];

    [Theory]
    [MemberData(nameof(Properties))]
    public void Holds(string id) =>
        PropertyAssert.Holds(PropertyCatalogue.Get(id), Mine, output.WriteLine, Path.Combine(AppContext.BaseDirectory, "Regressions"));
}
