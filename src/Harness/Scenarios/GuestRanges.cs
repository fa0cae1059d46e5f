using Verify.MemoryMap;

namespace Verify.Harness.Scenarios;

/// <summary>The IOVA range of a guest request.</summary>
internal static class GuestRanges
{
    /// <summary>Reads <c>iova</c> and <c>size</c>; a guest request covers at least one byte. Whether it is aligned and
    /// inside the address width is the vIOMMU's answer (a refusal), not a format error.</summary>
    /// <param name="b">The body.</param>
    /// <returns>The range.</returns>
    public static AddressRange Read(JsonWalker b)
    {
        var range = ScenarioJson.ReadRange(b, "iova", "size");
        return range.IsEmpty ? throw new ScenarioFormatException(JsonWalker.Child(b.Path, "size"), "expected a size above 0") : range;
    }
}
