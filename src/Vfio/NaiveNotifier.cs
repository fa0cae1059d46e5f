using Verify.MemoryMap.Flat;

namespace Verify.Vfio;

/// <summary>An IOMMU section the naive vfio listener registered (on add) or unregistered (on delete) a notifier
/// for, instead of mapping it: the guest IOMMU replays its mappings into the notifier.</summary>
/// <param name="Transaction">The listener's transaction number.</param>
/// <param name="Container">The backend's name.</param>
/// <param name="Section">The IOMMU section.</param>
/// <param name="Registered">True for registration (region_add), false for removal (region_del).</param>
public readonly record struct NaiveNotifier(int Transaction, string Container, FlatRange Section, bool Registered)
{
    /// <summary>The container the notifier belongs to; empty in <c>default</c>.</summary>
    public string Container { get => field ?? ""; init => field = value; } = Container;

    /// <inheritdoc/>
    public override string ToString() => $"#{Transaction} {Container}: notifier {(Registered ? "registered" : "removed")} for {Section}";
}
