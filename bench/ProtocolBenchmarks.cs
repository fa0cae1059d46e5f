using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Verify.Harness.External;
using Verify.Harness.Running;

namespace Verify.Bench;

/// <summary>
/// Issue 15: what putting an implementation behind docs/protocol.md costs. <see cref="RoundTrip"/> is one request and
/// its answer through the pipes (a <c>reset</c>, the smallest call) against the C example; <see cref="DlSuiteInProcess"/>
/// and <see cref="DlSuiteOverCAdapter"/> run the same DL-01 cases (fixed seed) against the library's coalescing
/// listener and against the C example's listener, so the ratio is the protocol's share of a suite's wall time.
/// The C example is built by <c>make -C examples/c</c>; without gcc the setup says so and the run stops.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ProtocolBenchmarks
{
    private const int Cases = 50;
    private static readonly string Example = Path.Combine(FindRoot(), "examples", "c", "build", "dmaverify-example");

    private ExternalImplementation? _c;

    [GlobalSetup]
    public void Setup()
    {
        if (!File.Exists(Example))
        {
            throw new InvalidOperationException($"{Example} is missing: build it with `make -C examples/c` (gcc from the distribution's packages)");
        }

        _c = ExternalImplementation.Start(Example, TimeSpan.FromSeconds(10));
    }

    [GlobalCleanup]
    public void Cleanup() => _c?.Dispose();

    /// <summary>One request and its answer through the pipes.</summary>
    [Benchmark(OperationsPerInvoke = 1_000)]
    public long RoundTrip()
    {
        long answered = 0;
        for (int i = 0; i < 1_000; i++)
        {
            answered += _c!.Process.Call(new JsonObject { ["call"] = "reset" }).Count;
        }

        return answered;
    }

    /// <summary>DL-01 against the library's listener, in process.</summary>
    [Benchmark(Baseline = true)]
    public int DlSuiteInProcess() => RunDl01(null);

    /// <summary>The same cases against the C example's listener, over the protocol.</summary>
    [Benchmark]
    public int DlSuiteOverCAdapter() => RunDl01(_c!.Implementation);

    private static int RunDl01(Verify.Harness.Implementations.ImplementationUnderTest? implementation)
    {
        var budget = PropertyBudget.Default with { MaxTest = Cases, StartSeed = 42 };
        var outcome = PropertyRunner.Run(PropertyCatalogue.Get("DL-01"), budget, null, implementation);
        return outcome.Passed ? outcome.Tests : throw new InvalidOperationException(outcome.Report);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Verify.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("no Verify.sln above the benchmark");
    }
}
