using System.Collections.Immutable;
using System.Text;
using Verify.IommuModel.GuestIommu;

namespace Verify.Harness.Generators.GuestIommu;

/// <summary>How a device joins a domain that already has mappings.</summary>
public enum JoinRoute
{
    /// <summary>Hot-plugged (context none), then its context entry names the domain.</summary>
    Hotplug,

    /// <summary>Plugged into another domain first, then switched to this one.</summary>
    SwitchDomain,

    /// <summary>Plugged in passthrough first, then attached: the address space switches to the IOMMU region.</summary>
    FromPassthrough,
}

/// <summary>A VI-02 case: with remapping on, some devices sit in domain 1 while the guest programs it; then one more
/// device joins by <see cref="Route"/>, and its container must hold the domain's current mappings.</summary>
/// <param name="Kind">VT-d or virtio-iommu.</param>
/// <param name="Earlier">Devices attached to domain 1 from the start.</param>
/// <param name="Requests">The guest's requests in domain 1 (each VT-d request followed by its invalidation).</param>
/// <param name="OtherDomain">Requests in domain 2, where <see cref="JoinRoute.SwitchDomain"/> starts.</param>
/// <param name="Route">How the new device joins.</param>
/// <param name="Switch">How address spaces switch.</param>
public sealed record ReplayCase(
    GuestIommuKind Kind, int Earlier, ImmutableArray<GuestRequest> Requests, ImmutableArray<GuestRequest> OtherDomain, JoinRoute Route, RemappingSwitch Switch)
{
    /// <summary>The joining device's name.</summary>
    public const string Joiner = "new";

    /// <summary>The earlier devices' names.</summary>
    public IEnumerable<string> EarlierDevices => Enumerable.Range(0, Earlier).Select(i => $"dev{i}");

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder($"{Kind}, switch {Switch}, remapping on");
        int step = 1;
        foreach (var d in EarlierDevices)
        {
            text.AppendLine().Append($"{step++,3}. hotplug {d}; context {d} = domain 1");
        }

        foreach (var r in OtherDomain)
        {
            text.AppendLine().Append($"{step++,3}. domain 2: {r}");
        }

        foreach (var r in Requests)
        {
            text.AppendLine().Append($"{step++,3}. domain 1: {r}");
        }

        text.AppendLine().Append($"{step,3}. {Joiner} joins domain 1 by {Route}: {Route switch
        {
            JoinRoute.Hotplug => "hotplug, context = domain 1",
            JoinRoute.SwitchDomain => "hotplug, context = domain 2, switch to domain 1",
            _ => "hotplug, context = passthrough, context = domain 1",
        }}");
        return text.ToString();
    }
}
