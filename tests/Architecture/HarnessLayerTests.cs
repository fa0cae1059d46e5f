using System.Collections.Immutable;

namespace Verify.Architecture;

public class HarnessLayerTests
{
    private static readonly string HarnessPath = typeof(Verify.Harness.Core.Verdict).Assembly.Location;

    [Fact]
    public void No_folder_of_the_harness_uses_a_higher_layer()
    {
        using var scan = new MetadataScan(HarnessPath);
        var violations = HarnessLayers.Violations(scan.OwnNamespaceUses());
        Assert.True(violations.IsEmpty, "Layer violations (see docs/architecture.md):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_layer_in_the_order_exists_and_is_used_as_a_layer()
    {
        using var scan = new MetadataScan(HarnessPath);
        var folders = scan.OwnNamespaceUses().Select(t => HarnessLayers.FolderOf(t.Namespace)).OfType<string>().ToHashSet();
        Assert.Equal(HarnessLayers.Order.Order(StringComparer.Ordinal), folders.Order(StringComparer.Ordinal));
    }

    // The scan must see the uses it polices: Execution really does use Checks, Scenarios and Hosts (the runner steps
    // through hosts and calls the checks), so an empty edge set would mean a blind scan, not a clean harness.
    [Fact]
    public void The_scan_sees_the_runner_using_checks_scenarios_and_hosts()
    {
        using var scan = new MetadataScan(HarnessPath);
        var used = scan.OwnNamespaceUses()
            .Where(t => t.Type == "Verify.Harness.Execution.ScenarioRunner")
            .SelectMany(t => t.Uses)
            .Select(HarnessLayers.FolderOf)
            .ToHashSet();
        Assert.Superset(new HashSet<string?> { "Checks", "Scenarios", "Hosts" }, used);
    }

    [Fact]
    public void An_upward_use_is_reported_with_the_type_and_both_layers()
    {
        var uses = new[]
        {
            ("Verify.Harness.Core", "Verify.Harness.Core.Bad", ImmutableSortedSet.Create("Verify.Harness.Suites")),
            ("Verify.Harness.Suites", "Verify.Harness.Suites.Fine", ImmutableSortedSet.Create("Verify.Harness.Core")),
            ("Verify.Harness.Extras", "Verify.Harness.Extras.Stray", ImmutableSortedSet<string>.Empty),
        };
        var violations = HarnessLayers.Violations(uses);
        Assert.Equal(2, violations.Length);
        Assert.Contains("Verify.Harness.Core.Bad (Core) uses Suites, which is a higher layer", violations);
        Assert.Contains("Verify.Harness.Extras.Stray: folder 'Extras' has no place in HarnessLayers.Order", violations);
    }
}
