namespace Verify.IommuModel.GuestIommu;

/// <summary>What a device's context entry says (docs/semantics.md 7).</summary>
public enum ContextKind
{
    /// <summary>Not present: with remapping on the device reaches nothing. The default.</summary>
    None,

    /// <summary>Passthrough: the device uses guest physical addresses (QEMU gives it the nodmar alias).</summary>
    Passthrough,

    /// <summary>Translated by a domain's page tables.</summary>
    Domain,
}

/// <summary>A device's context entry; <c>default</c> is a not-present entry.</summary>
public readonly record struct ContextEntry
{
    private ContextEntry(ContextKind kind, int domain)
    {
        Kind = kind;
        Domain = domain;
    }

    /// <summary>A not-present entry.</summary>
    public static ContextEntry None => default;

    /// <summary>A passthrough entry.</summary>
    public static ContextEntry Passthrough => new(ContextKind.Passthrough, 0);

    /// <summary>The entry's kind.</summary>
    public ContextKind Kind { get; }

    /// <summary>The domain id when <see cref="Kind"/> is <see cref="ContextKind.Domain"/>; 0 otherwise.</summary>
    public int Domain { get; }

    /// <summary>An entry naming domain <paramref name="domain"/>.</summary>
    /// <param name="domain">A positive domain id.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The id is not positive.</exception>
    public static ContextEntry InDomain(int domain)
    {
        Preconditions.CheckArgumentRange(domain > 0, domain, "should be a positive domain id", nameof(domain));
        return new(ContextKind.Domain, domain);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind == ContextKind.Domain ? $"domain {Domain}" : Kind.ToString().ToLowerInvariant();
}
