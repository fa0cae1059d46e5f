using System.Collections.Immutable;

namespace Verify.Architecture;

/// <summary>
/// The layers of src/Harness, lowest first, as docs/architecture.md states them: a folder may use the folders before it
/// and never one after it, so there is no cycle and each layer can be read knowing only the ones below.
/// </summary>
public static class HarnessLayers
{
    /// <summary>The folders (second namespace segment under <c>Verify.Harness</c>), lowest layer first.</summary>
    public static readonly ImmutableArray<string> Order =
    [
        "Core",            // numbers, verdicts, replay seeds: no harness vocabulary
        "Layouts",         // machine layouts scenarios and generators start from
        "Implementations", // the code under test behind one seam (library, variant, a user's)
        "External",        // a user's implementation in another process, over docs/protocol.md
        "Hosts",           // the observation hosts a scenario drives and checks read
        "Scenarios",       // the step records, their codecs, the reader and writer
        "Checks",          // one class per property id, judging hosts against the oracle
        "Execution",       // the one runner: steps through hosts, checks after each step
        "Generators",      // FsCheck generators and shrinkers that emit scenarios
        "Running",         // property definitions, budget, the FsCheck runner
        "Suites",          // the catalogued properties
        "Variants",        // broken implementations the suites must catch
        "Dma",             // the listener comparison report (a leaf used by the CLI)
        "RealQemu",        // real QEMU as a generator: the fuzzer, its grammar, the transcript checks
    ];

    /// <summary>The folder of a namespace inside Verify.Harness, or null for anything else.</summary>
    /// <param name="ns">A namespace.</param>
    /// <returns>The folder name.</returns>
    public static string? FolderOf(string ns) =>
        ns.StartsWith("Verify.Harness.", StringComparison.Ordinal) ? ns.Split('.')[2] : null;

    /// <summary>The uses that go from a layer to a higher one (or to a folder the order does not know).</summary>
    /// <param name="uses">Each type's namespace and the namespaces it uses.</param>
    /// <returns>One line per offending (type, used folder).</returns>
    public static ImmutableArray<string> Violations(IEnumerable<(string Namespace, string Type, ImmutableSortedSet<string> Uses)> uses)
    {
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var (ns, type, used) in uses)
        {
            if (FolderOf(ns) is not { } from)
            {
                continue;
            }

            int level = Order.IndexOf(from);
            if (level < 0)
            {
                result.Add($"{type}: folder '{from}' has no place in HarnessLayers.Order");
                continue;
            }

            foreach (var to in used.Select(FolderOf).OfType<string>().Distinct())
            {
                int target = Order.IndexOf(to);
                if (target > level || target < 0)
                {
                    result.Add($"{type} ({from}) uses {to}, which is {(target < 0 ? "not a known layer" : "a higher layer")}");
                }
            }
        }

        return result.ToImmutable();
    }
}
