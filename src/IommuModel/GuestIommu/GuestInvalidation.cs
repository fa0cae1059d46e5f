using System.Globalization;

namespace Verify.IommuModel.GuestIommu;

/// <summary>How much an IOTLB invalidation covers.</summary>
public enum InvalidationScope
{
    /// <summary>Every domain, every IOVA.</summary>
    Global,

    /// <summary>One domain, every IOVA.</summary>
    Domain,

    /// <summary>One domain, a page-selective IOVA range.</summary>
    Pages,
}

/// <summary>An IOTLB invalidation the guest issues; under caching mode it is how QEMU learns of changes.</summary>
/// <param name="Scope">Global, domain or page-selective.</param>
/// <param name="Domain">The domain (ignored for <see cref="InvalidationScope.Global"/>).</param>
/// <param name="Range">The IOVAs (used for <see cref="InvalidationScope.Pages"/> only).</param>
public readonly record struct GuestInvalidation(InvalidationScope Scope, int Domain, AddressRange Range)
{
    /// <summary>A global invalidation.</summary>
    public static GuestInvalidation Global => new(InvalidationScope.Global, 0, AddressRange.WholeSpace);

    /// <summary>A domain-selective invalidation.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>The invalidation.</returns>
    public static GuestInvalidation OfDomain(int domain) => new(InvalidationScope.Domain, domain, AddressRange.WholeSpace);

    /// <summary>A page-selective invalidation.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="range">The IOVAs.</param>
    /// <returns>The invalidation.</returns>
    public static GuestInvalidation OfPages(int domain, AddressRange range) => new(InvalidationScope.Pages, domain, range);

    /// <summary>Whether it reaches a device whose context is <paramref name="context"/>.</summary>
    /// <param name="context">A context entry.</param>
    /// <returns>Whether the device's notifiers re-walk.</returns>
    public bool Reaches(ContextEntry context) =>
        context.Kind == ContextKind.Domain && (Scope == InvalidationScope.Global || context.Domain == Domain);

    /// <inheritdoc/>
    public override string ToString() => Scope switch
    {
        InvalidationScope.Global => "global",
        InvalidationScope.Domain => string.Create(CultureInfo.InvariantCulture, $"domain {Domain}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"domain {Domain} pages {Range}"),
    };
}
