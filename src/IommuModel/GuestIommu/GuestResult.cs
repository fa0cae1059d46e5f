namespace Verify.IommuModel.GuestIommu;

/// <summary>What a guest request did: the refusal, or the IOVA span whose translations changed (what a correct guest
/// then invalidates).</summary>
/// <param name="Refusal">Why it was refused, or <see cref="GuestRefusal.None"/>.</param>
/// <param name="Changed">The span of the leaves added or removed; empty when nothing changed.</param>
public readonly record struct GuestResult(GuestRefusal Refusal, AddressRange Changed)
{
    /// <summary>Whether the request was carried out.</summary>
    public bool Succeeded => Refusal == GuestRefusal.None;

    /// <summary>A refusal.</summary>
    /// <param name="refusal">The reason.</param>
    /// <returns>The result.</returns>
    public static GuestResult Refused(GuestRefusal refusal) => new(refusal, default);

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"ok, changed {Changed}" : $"refused: {Refusal}";
}
