using System.Diagnostics.CodeAnalysis;

namespace Verify.IommuModel;

/// <summary>
/// The gate every public boundary of the IOMMU model goes through (a copy of MemoryMap's, which is
/// internal there). A bad argument throws <see cref="ArgumentOutOfRangeException"/> naming the
/// parameter, the value and the bound; a modelled kernel error is never thrown.
/// </summary>
internal static class Preconditions
{
    internal static void CheckArgumentRange(bool condition, string paramName, object? actualValue, string expectation)
    {
        if (!condition)
        {
            Throw(paramName, actualValue, expectation);
        }
    }

    [DoesNotReturn]
    internal static void Throw(string paramName, object? actualValue, string expectation) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, expectation);
}
