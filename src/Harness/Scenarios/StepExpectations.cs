using System.Collections.Immutable;
using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>
/// What must hold after one step; every field is optional and only the recorded ones are checked. Per-container
/// fields are keyed by container name and sorted, so a written file is stable.
/// </summary>
public sealed record StepExpectations
{
    /// <summary>Nothing recorded.</summary>
    public static StepExpectations None { get; } = new();

    /// <summary>The committed view's ranges, each as <see cref="MemoryMap.Flat.FlatRange.ToString"/> prints it.</summary>
    public ImmutableArray<string>? Ranges { get; init; }

    /// <summary>The errno of a raw MAP/UNMAP step (<see cref="MemoryMap.Errno.None"/> for success).</summary>
    public Errno? Errno { get; init; }

    /// <summary>The size a raw MAP/UNMAP step returned.</summary>
    public UInt128? Size { get; init; }

    /// <summary>Translations of given IOVAs in given containers.</summary>
    public ImmutableArray<TranslationExpectation> Translations { get; init; } = [];

    /// <summary>Ioctls each container received during the step.</summary>
    public ImmutableSortedDictionary<string, int> Ioctls { get; init; } = ImmutableSortedDictionary.Create<string, int>(StringComparer.Ordinal);

    /// <summary>Collateral bytes of each container during the step: IOVA that translates the same before and after
    /// but was unmapped at some moment in between.</summary>
    public ImmutableSortedDictionary<string, UInt128> Collateral { get; init; } = ImmutableSortedDictionary.Create<string, UInt128>(StringComparer.Ordinal);

    /// <summary>Each container's live mappings after the step, as <see cref="MemoryMap.Dma.DmaMapping.ToString"/> prints them.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> Mappings { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal);

    /// <summary>Whether nothing is recorded.</summary>
    public bool IsEmpty => Ranges is null && Errno is null && Size is null && Translations.IsEmpty && Ioctls.IsEmpty && Collateral.IsEmpty && Mappings.IsEmpty;

    /// <inheritdoc/>
    public bool Equals(StepExpectations? other) =>
        other is not null
        && Same(Ranges, other.Ranges)
        && Errno == other.Errno
        && Size == other.Size
        && Translations.SequenceEqual(other.Translations)
        && Ioctls.SequenceEqual(other.Ioctls)
        && Collateral.SequenceEqual(other.Collateral)
        && Mappings.Count == other.Mappings.Count
        && Mappings.All(m => other.Mappings.TryGetValue(m.Key, out var o) && o.SequenceEqual(m.Value));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Errno, Size, Translations.Length, Ioctls.Count);

    private static bool Same(ImmutableArray<string>? a, ImmutableArray<string>? b) =>
        a is null ? b is null : b is not null && a.Value.SequenceEqual(b.Value);
}

/// <summary>What one IOVA of one container must translate to.</summary>
/// <param name="Container">The container.</param>
/// <param name="Iova">The address.</param>
/// <param name="To">The translation as <see cref="MemoryMap.Dma.DmaTranslation.ToString"/> prints it
/// (<c>pc.ram@0xe8000 rw</c>), or null for "nothing mapped".</param>
public sealed record TranslationExpectation(string Container, ulong Iova, string? To);
