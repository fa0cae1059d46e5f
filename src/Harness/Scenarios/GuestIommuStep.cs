namespace Verify.Harness.Scenarios;

/// <summary>A step the guest IOMMU takes (docs/semantics.md 7): the vIOMMU itself, devices behind it, the guest's requests.</summary>
public abstract record GuestIommuStep : ScenarioStep
{
    private protected GuestIommuStep()
    {
    }
}
